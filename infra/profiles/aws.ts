import * as awsSdk from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../posture/index.ts";
import { Alarms } from "../components/aws/alarms.ts";
import { AppService } from "../components/aws/app-service.ts";
import { Database } from "../components/aws/database.ts";
import { EncryptionKey } from "../components/aws/encryption-key.ts";
import { backupStatements, drillStatements } from "../components/aws/job-access.ts";
import { Network } from "../components/aws/network.ts";
import { fargateCpu, ScheduledJobs } from "../components/aws/scheduled-jobs.ts";
import { SecretSet, secretNames } from "../components/aws/secrets.ts";
import { EdgeZone } from "../components/cloudflare/edge.ts";
import { allowReadWrite, allowSecretsRead } from "../lib/iam.ts";
import { standardLabels } from "../lib/labels.ts";
import { resourceName } from "../lib/naming.ts";
import { requireAllowedLocation } from "../lib/regions.ts";
import { postureAuditTrail, postureBuckets, postureUptime } from "./aws-common.ts";

/** The AWS profile: everything in posture.regions.primary (buckets in regions.storage). */
export function aws(posture: Posture): Record<string, pulumi.Input<unknown>> {
  const region = requireAllowedLocation(posture, posture.regions.primary, "the AWS workload region");
  const storage = requireAllowedLocation(posture, posture.regions.storage, "the S3 buckets");
  const tags = standardLabels(posture);
  const name = (role: string) => resourceName(posture, role);
  const accountId = awsSdk.getCallerIdentityOutput({}).accountId;
  const logDays = posture.monitoring.auditLogDays;

  const dataKey = new EncryptionKey("data-key", {
    region,
    alias: name("data"),
    description: `${posture.name}: database, buckets, secrets, logs`,
    rotationDays: posture.encryption.kmsRotationDays,
    accountId,
    grants: [
      {
        service: `logs.${region}.amazonaws.com`,
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      },
    ],
    tags,
  });
  const auditKey = new EncryptionKey("audit-key", {
    region,
    alias: name("audit"),
    description: `${posture.name}: CloudTrail and alert topic`,
    rotationDays: posture.encryption.kmsRotationDays,
    accountId,
    grants: [
      { service: "cloudtrail.amazonaws.com", actions: ["kms:GenerateDataKey*", "kms:DescribeKey"] },
      { service: "cloudwatch.amazonaws.com", actions: ["kms:Decrypt", "kms:GenerateDataKey*"] },
      { service: "events.amazonaws.com", actions: ["kms:Decrypt", "kms:GenerateDataKey*"] },
    ],
    tags,
  });

  const buckets = postureBuckets(posture, { region: storage, kmsKeyArn: dataKey.arn, accountId });
  const { backups, evidence, uploads, breakGlass } = buckets;

  const secrets = new SecretSet("secrets", {
    region,
    names: secretNames(posture),
    kmsKeyArn: dataKey.arn,
    tags,
  });
  const secretArn = (n: string | null) => (n ? secrets.arns[n] : undefined);
  const sentry = secretArn(posture.monitoring.sentryDsnSecret);

  const network = new Network("network", { region, appPort: posture.compute.port, tags });
  const db = new Database("db", {
    region,
    identifier: name("db"),
    settings: posture.database,
    kmsKeyArn: dataKey.arn,
    subnetIds: network.privateSubnetIds,
    securityGroupId: network.dbSecurityGroupId,
    passwordRotationDays: Math.min(
      30,
      ...Object.values(posture.rotation.secrets)
        .filter((s) => s.kind === "postgres-password")
        .map((s) => s.intervalDays),
    ),
    logRetentionDays: logDays,
    tags,
  });

  const cluster = new awsSdk.ecs.Cluster("cluster", {
    region,
    settings: [{ name: "containerInsights", value: "enabled" }],
    tags,
  });
  const appSecrets = Object.keys(posture.rotation.secrets).flatMap((n) => secretArn(n) ?? []);
  const app = new AppService("app", {
    region,
    clusterArn: cluster.arn,
    subnetIds: network.publicSubnetIds,
    securityGroupId: network.appSecurityGroupId,
    image: posture.compute.image,
    port: posture.compute.port,
    desiredCount: posture.compute.minInstances,
    cpu: fargateCpu(posture.compute.cpu),
    memoryMb: posture.compute.memoryMb,
    statements: [
      ...(uploads ? allowReadWrite({ bucketArn: uploads.arn, keyArn: dataKey.arn, region: storage }) : []),
      ...(appSecrets.length ? allowSecretsRead(appSecrets, dataKey.arn) : []),
    ],
    kmsKeyArn: dataKey.arn,
    logRetentionDays: logDays,
    tags,
  });

  const jobAccess = {
    region: storage,
    backupsArn: backups.arn,
    evidenceArn: evidence.arn,
    keyArn: dataKey.arn,
    // The backup job reads the published age recipients (public keys), never the identity.
    backupSecrets: [sentry ?? [], secretArn(posture.secrets.recipientsSecret) ?? []].flat(),
    // The backup job logs in with IAM auth as rampart_backup: no password to hold.
    dbConnectArn: pulumi.interpolate`arn:aws:rds-db:${region}:${accountId}:dbuser:${db.instance.resourceId}/rampart_backup`,
    drillSecrets: [secretArn(posture.secrets.ageIdentity) ?? [], sentry ?? []].flat(),
  };
  const jobs = new ScheduledJobs("jobs", {
    region,
    clusterArn: cluster.arn,
    subnetIds: network.publicSubnetIds,
    securityGroupId: network.jobsSecurityGroupId,
    image: posture.jobs.image,
    cpu: fargateCpu(posture.jobs.cpu),
    memoryMb: posture.jobs.memoryMb,
    stack: posture.source.stack,
    jobs: {
      backup: {
        schedule: posture.backups.schedule,
        scheduleKey: "backups.schedule",
        statements: backupStatements(posture, jobAccess),
        maxRuntimeMinutes: posture.backups.maxRuntimeMinutes,
      },
      drill: {
        schedule: posture.drills.schedule,
        scheduleKey: "drills.schedule",
        statements: drillStatements(posture, jobAccess),
        maxRuntimeMinutes: posture.drills.maxRuntimeMinutes,
      },
    },
    kmsKeyArn: dataKey.arn,
    logRetentionDays: logDays,
    tags,
  });

  const alarms = new Alarms("alarms", {
    region,
    emails: posture.monitoring.alertEmails,
    kmsKeyArn: auditKey.arn,
    dbIdentifier: db.instance.identifier,
    dbStorageGiB: 20,
    jobFamilies: ["backup", "drill"].map((j) => `rampart-${posture.source.stack}-${j}`),
    tags,
  });
  const trail = postureAuditTrail(posture, buckets, { region, kmsKeyArn: auditKey.arn, accountId });
  const uptime = postureUptime(posture, { region, topicArn: alarms.topicArn, accountId });
  const edge = posture.edge ? new EdgeZone("edge", { edge: posture.edge }) : undefined;

  return {
    region,
    backupsBucket: backups.name,
    evidenceBucket: evidence.name,
    ...(uploads ? { uploadsBucket: uploads.name } : {}),
    dbEndpoint: db.instance.endpoint,
    dbMasterSecretArn: db.masterSecretArn,
    appService: app.serviceName,
    backupRoleArn: jobs.taskRoleArns.backup,
    drillRoleArn: jobs.taskRoleArns.drill,
    breakGlassRoleArn: breakGlass.arn,
    alertTopicArn: alarms.topicArn,
    trailArn: trail.trailArn,
    ...(uptime ? { uptimeHealthCheckIds: uptime.healthCheckIds } : {}),
    ...(edge ? { edgeZoneId: edge.zoneId } : {}),
  };
}
