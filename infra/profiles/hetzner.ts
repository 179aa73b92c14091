import * as awsSdk from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../posture/index.ts";
import { renderCloudInit } from "../cloud-init/cloud-init.ts";
import { alertTopic, publishStatements } from "../components/aws/alert-topic.ts";
import { EncryptionKey } from "../components/aws/encryption-key.ts";
import { IamUserKey } from "../components/aws/iam-user-key.ts";
import { backupStatements, drillStatements } from "../components/aws/job-access.ts";
import { SesDomain } from "../components/aws/ses.ts";
import { EdgeZone } from "../components/cloudflare/edge.ts";
import { ServerFirewall } from "../components/hcloud/firewall.ts";
import { AppServer } from "../components/hcloud/server.ts";
import { DataVolume } from "../components/hcloud/volume.ts";
import { allow, allowReadWrite, type Statement } from "../lib/iam.ts";
import { standardLabels } from "../lib/labels.ts";
import { resourceName } from "../lib/naming.ts";
import { requireAllowedLocation } from "../lib/regions.ts";
import { postureAuditTrail, postureBuckets, postureUptime } from "./aws-common.ts";

/**
 * The self-hosted profile: one Hetzner VPS in regions.primary running Postgres and Redis in Docker on
 * an encrypted (LUKS) volume, behind a firewall open on 443 only; S3 buckets, the LUKS key escrow,
 * SES and the per-job IAM keys in AWS regions.storage; the shared Cloudflare edge.
 *
 * Design decision — encryption at rest: Hetzner Cloud volumes are not encrypted by Hetzner, so the
 * volume is LUKS2. Its key is generated on the server's first boot, kept only in tmpfs, and escrowed
 * in a CMK-encrypted Secrets Manager secret that a dedicated key (Get/PutSecretValue on that one
 * secret) reads at every boot. This protects detached volumes, snapshots and retired disks; it does
 * not protect against root on the running server (the volume is open and the escrow key is on disk).
 *
 * Trade-off — credentials in user data: servers outside AWS cannot assume roles, so each job gets a
 * long-lived IAM access key, delivered in the cloud-init user data. The user data is a Pulumi secret
 * (encrypted in state), but Hetzner stores it and the server's metadata service serves it to any
 * process on the server; rotating a key changes the user data, which replaces the server (the data
 * volume survives and is re-opened with the escrowed key).
 */
export function hetzner(posture: Posture): Record<string, pulumi.Input<unknown>> {
  const location = requireAllowedLocation(posture, posture.regions.primary, "the Hetzner server");
  const storage = requireAllowedLocation(
    posture,
    posture.regions.storage ?? posture.regions.primary,
    "the S3 buckets, key escrow and SES",
  );
  const tags = standardLabels(posture);
  const name = (role: string) => resourceName(posture, role);
  const accountId = awsSdk.getCallerIdentityOutput({}).accountId;

  const dataKey = new EncryptionKey("data-key", {
    region: storage,
    alias: name("data"),
    description: `${posture.name}: buckets, the volume key escrow and the audit trail`,
    rotationDays: posture.encryption.kmsRotationDays,
    accountId,
    grants: [
      { service: "cloudtrail.amazonaws.com", actions: ["kms:GenerateDataKey*", "kms:DescribeKey"] },
      // EventBridge publishes forwarded uptime alarms to the (encrypted) alert topic.
      { service: "events.amazonaws.com", actions: ["kms:Decrypt", "kms:GenerateDataKey*"] },
    ],
    tags,
  });

  const buckets = postureBuckets(posture, { region: storage, kmsKeyArn: dataKey.arn, accountId });
  const { backups, evidence, uploads, breakGlass } = buckets;

  // The secret has no value until the server's first boot generates the key and puts it.
  const luksSecret = new awsSdk.secretsmanager.Secret(
    "luks-key",
    {
      region: storage,
      name: name("luks-key"),
      description: "LUKS key of the Hetzner data volume (written by the server on first boot)",
      kmsKeyId: dataKey.arn,
      recoveryWindowInDays: 30,
      tags: standardLabels(posture, "luks-key"),
    },
    { protect: true },
  );
  const ses = posture.edge
    ? new SesDomain("email", { domain: posture.edge.domain, region: storage, tags })
    : undefined;

  const jobAccess = {
    region: storage,
    backupsArn: backups.arn,
    evidenceArn: evidence.arn,
    keyArn: dataKey.arn,
    // The Sentry DSN and the age identity live in the server's file secret store, not in AWS.
    backupSecrets: [],
    drillSecrets: [],
  };
  // Alerts: one encrypted topic with the posture's emails; outside checks of the edge domain, their
  // alarms in us-east-1 forwarded to it (the residency exception of the AWS profile, README.md, "AWS profile").
  const topicArn = alertTopic("alarms", {
    region: storage,
    emails: posture.monitoring.alertEmails,
    kmsKeyArn: dataKey.arn,
    tags,
  });
  const key = (role: string, statements: pulumi.Input<Statement[]>) =>
    new IamUserKey(role, { userName: name(role), statements, tags: standardLabels(posture, role) });
  const keys = {
    escrow: key("luks-escrow", escrowStatements(luksSecret.arn, dataKey.arn, storage)),
    backup: key("backup", backupStatements(posture, jobAccess)),
    drill: key("drill", drillStatements(posture, jobAccess)),
    alerts: key("alerts", publishStatements(topicArn, storage, dataKey.arn)),
    uploads: uploads
      ? key("uploads", allowReadWrite({ bucketArn: uploads.arn, keyArn: dataKey.arn, region: storage }))
      : undefined,
    email: ses
      ? key("email", [allow("SendAsDomain", ["ses:SendEmail", "ses:SendRawEmail"], [ses.arn])])
      : undefined,
  };

  const labels = standardLabels(posture);
  const firewall = new ServerFirewall("firewall", {
    firewallName: name("firewall"),
    adminCidrs: posture.compute.adminCidrs,
    labels,
  });
  const volume = new DataVolume("data", {
    volumeName: name("data"),
    location,
    labels: standardLabels(posture, "data"),
  });

  const pair = (k: IamUserKey | undefined) =>
    k ? pulumi.all([k.accessKeyId, k.secretAccessKey]).apply(([id, secret]) => ({ id, secret })) : undefined;
  const userData = pulumi
    .output({
      volumeDevice: volume.device,
      luksSecretId: luksSecret.arn,
      escrow: pair(keys.escrow),
      backup: pair(keys.backup),
      drill: pair(keys.drill),
      alerts: pair(keys.alerts),
      topicArn,
      uploadsKey: pair(keys.uploads),
      email: pair(keys.email),
      uploadsBucket: uploads?.name,
    })
    .apply((v) =>
      renderCloudInit({
        stack: posture.source.stack,
        database: { major: posture.database.major, name: posture.database.name },
        volumeDevice: v.volumeDevice,
        luksSecretId: v.luksSecretId,
        awsRegion: storage,
        alerts: { topicArn: v.topicArn, key: required(v.alerts) },
        jobs: {
          image: posture.jobs.image,
          backup: {
            schedule: posture.backups.schedule,
            maxRuntimeMinutes: posture.backups.maxRuntimeMinutes,
          },
          drill: { schedule: posture.drills.schedule, maxRuntimeMinutes: posture.drills.maxRuntimeMinutes },
        },
        ...fileStorePath(posture.secrets.store),
        keys: {
          escrow: required(v.escrow),
          backup: required(v.backup),
          drill: required(v.drill),
          ...(v.uploadsKey ? { uploads: v.uploadsKey } : {}),
          ...(v.email ? { email: v.email } : {}),
        },
        app: {
          ...(v.uploadsBucket ? { uploadsBucket: v.uploadsBucket } : {}),
          ...(posture.edge ? { emailDomain: posture.edge.domain } : {}),
        },
      }),
    );
  const sshPublicKey = new pulumi.Config("rampart").get("sshPublicKey");
  const server = new AppServer("app", {
    serverName: name("app"),
    location,
    serverType: posture.compute.serverType,
    userData: pulumi.secret(userData),
    firewallId: firewall.id,
    volumeId: volume.id,
    // A key without an SSH rule would be dead weight: SSH exists only with adminCidrs.
    ...(sshPublicKey && posture.compute.adminCidrs.length ? { sshPublicKey } : {}),
    labels,
  });
  // Every AWS API call made with the keys above (S3 data events included) lands in a locked bucket.
  const trail = postureAuditTrail(posture, buckets, { region: storage, kmsKeyArn: dataKey.arn, accountId });
  const uptime = postureUptime(posture, { region: storage, topicArn, accountId });
  const edge = posture.edge ? new EdgeZone("edge", { edge: posture.edge }) : undefined;

  return {
    location,
    storageRegion: storage,
    serverIpv4: server.ipv4,
    serverIpv6: server.ipv6,
    backupsBucket: backups.name,
    evidenceBucket: evidence.name,
    ...(uploads ? { uploadsBucket: uploads.name } : {}),
    luksKeySecretArn: luksSecret.arn,
    breakGlassRoleArn: breakGlass.arn,
    trailArn: trail.trailArn,
    alertTopicArn: topicArn,
    ...(uptime ? { uptimeHealthCheckIds: uptime.healthCheckIds } : {}),
    ...(ses ? { sesDkimTokens: ses.dkimTokens } : {}),
    ...(edge ? { edgeZoneId: edge.zoneId } : {}),
  };
}

/** The LUKS escrow key: read and write that one secret, use the CMK only through Secrets Manager. */
export function escrowStatements(
  secretArn: pulumi.Input<string>,
  keyArn: pulumi.Input<string>,
  region: string,
): Statement[] {
  return [
    allow("EscrowVolumeKey", ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], [secretArn]),
    allow("UseKeyViaSecretsManager", ["kms:Decrypt", "kms:GenerateDataKey"], [keyArn], {
      StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` },
    }),
  ];
}

/** A `file://` secret store is a path on the server, mounted read-only into the drill. */
function fileStorePath(store: string): { secretStorePath?: string } {
  return store.startsWith("file://") ? { secretStorePath: new URL(store).pathname } : {};
}

function required<T>(v: T | undefined): T {
  if (v === undefined) throw new Error("an access key the server needs was not created");
  return v;
}
