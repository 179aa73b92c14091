import * as aws from "@pulumi/aws";
import * as hcloud from "@pulumi/hcloud";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { cronToOnCalendar } from "../../../infra/cloud-init/on-calendar.ts";
import { isAllowedLocation } from "../../../infra/lib/regions.ts";
import { describeViolation, evaluate, violations } from "../../../infra/policy/evaluate.ts";
import { route53MetricsException } from "../../../infra/policy/rules/residency.ts";
import type { Posture } from "../../../posture/index.ts";
import { inventoryJson } from "../../support/inventory.ts";
import { ofType, one, type Recorded, tokenOf } from "../../support/pulumi-mocks.ts";
import { recordHetznerStack, SECRET_MARK, SSH_KEY } from "./program.ts";

type Statement = {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource?: string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Doc = { Version: string; Statement: Statement[] };
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" ? (v as Obj) : {});

/** The Pulumi wire marker of a secret value, as the mocks record it. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown): v is { value: unknown } => SECRET_SIG in obj(v);
/** Inputs as a policy pack sees them: secrets unwrapped. */
const revealed = (v: unknown): unknown => {
  if (isSecret(v)) return revealed(v.value);
  if (Array.isArray(v)) return v.map(revealed);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revealed(x)]));
  return v;
};
/** Inputs with every secret-wrapped value removed: what Pulumi stores and shows in plaintext. */
const plaintextOf = (v: unknown): unknown => {
  if (isSecret(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(plaintextOf);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plaintextOf(x)]));
  return v;
};
const policyOf = (r: Recorded, key = "policy"): Doc => {
  const v = r.inputs[key];
  expect(typeof v, `${r.name}.${key} is serialised JSON`).toBe("string");
  return JSON.parse(String(v)) as Doc;
};
const allowed = (d: Doc) => d.Statement.filter((s) => s.Effect === "Allow");

const stack = "hetzner-nuremberg";
let posture: Posture;
let rs: Recorded[];
let cloudInit: Obj;
let userDataText: string;
const fileContent = (path: string): string => {
  const files = (cloudInit.write_files as { path: string; content: string }[]) ?? [];
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`cloud-init writes no ${path}`);
  return f.content;
};

beforeAll(async () => {
  ({ posture, recorded: rs } = await recordHetznerStack(stack));
  const userData = one(rs, tokenOf(hcloud.Server)).inputs.userData;
  if (!isSecret(userData)) throw new Error("userData is not a Pulumi secret");
  userDataText = String(userData.value);
  cloudInit = obj(parseYaml(userDataText));
}, 120_000);

describe("hetzner profile keeps the posture's promises", () => {
  it("matches the committed inventory snapshot (secrets redacted)", async () => {
    await expect(inventoryJson(rs)).toMatchFileSnapshot(`../__snapshots__/${stack}.inventory.json`);
  });

  it("places the server and its volume in regions.primary, inside regions.allowed", () => {
    const server = one(rs, tokenOf(hcloud.Server));
    const volume = one(rs, tokenOf(hcloud.Volume));
    expect(server.inputs.location).toBe(posture.regions.primary);
    expect(volume.inputs.location).toBe(posture.regions.primary);
    expect(isAllowedLocation(posture.regions.allowed, String(server.inputs.location))).toBe(true);
    expect(server.inputs.serverType).toBe(posture.compute.serverType);
    expect(server.inputs.datacenter).toBeUndefined();
  });

  it("pins every regional AWS resource to regions.storage, except the Route 53 metrics trio; IAM and Route 53 (global) take no region", () => {
    const awsResources = rs.filter((r) => r.type.startsWith("aws:"));
    const global = (r: Recorded) => r.type.startsWith("aws:iam/") || r.type.startsWith("aws:route53/");
    const exception = (r: Recorded) =>
      route53MetricsException(
        { type: r.type, name: r.name, id: `${r.name}-id`, props: r.inputs },
        String(r.inputs.region),
        posture.regions.allowed,
      ) !== null;
    const inUsEast1 = awsResources.filter(exception);
    // One alarm per uptime path, the outbound rule and its target.
    expect(inUsEast1).toHaveLength(posture.monitoring.uptime.paths.length + 2);
    const regional = awsResources.filter((r) => !global(r) && !exception(r));
    expect(regional.length).toBeGreaterThan(20);
    for (const r of regional) {
      expect(r.inputs.region, `${r.type} ${r.name}`).toBe(posture.regions.storage);
      expect(isAllowedLocation(posture.regions.allowed, String(r.inputs.region))).toBe(true);
    }
    for (const r of awsResources.filter(global))
      expect(r.inputs.region, `${r.type} ${r.name}`).toBeUndefined();
  });

  it("firewall: 443 from anywhere, SSH only from compute.adminCidrs, nothing else; attached to the server", () => {
    const fw = one(rs, tokenOf(hcloud.Firewall));
    expect(fw.inputs.rules).toEqual([
      {
        direction: "in",
        protocol: "tcp",
        port: "443",
        sourceIps: ["0.0.0.0/0", "::/0"],
        description: "HTTPS",
      },
      {
        direction: "in",
        protocol: "tcp",
        port: "22",
        sourceIps: posture.compute.adminCidrs,
        description: "SSH from compute.adminCidrs",
      },
    ]);
    expect(one(rs, tokenOf(hcloud.Server)).inputs.firewallIds).toHaveLength(1);
    expect(one(rs, tokenOf(hcloud.SshKey)).inputs.publicKey).toBe(SSH_KEY);
    expect(one(rs, tokenOf(hcloud.Server)).inputs.sshKeys).toEqual(["app-admin-id"]);
  });

  it("volume: unformatted, not automounted, delete-protected; attached raw for LUKS", () => {
    expect(one(rs, tokenOf(hcloud.Volume)).inputs).toMatchObject({
      automount: false,
      deleteProtection: true,
      size: 40,
    });
    expect(one(rs, tokenOf(hcloud.Volume)).inputs.format).toBeUndefined();
    expect(one(rs, tokenOf(hcloud.VolumeAttachment)).inputs.automount).toBe(false);
    const volumeEnv = fileContent("/etc/rampart/volume.env");
    expect(volumeEnv).toContain("RAMPART_VOLUME_DEVICE=/dev/disk/by-id/scsi-0HC_Volume_4242\n");
    expect(volumeEnv).toMatch(
      /RAMPART_LUKS_SECRET_ID=arn:aws:secretsmanager:eu-central-1:123456789012:secret:prezio-luks-key-/,
    );
    expect(fileContent("/usr/local/sbin/rampart-luks-unlock")).toContain(
      "cryptsetup luksFormat --type luks2",
    );
  });

  it("user data: Docker installed, Postgres 17 and Redis (AOF everysec) with no published ports, timers on the posture's schedules", () => {
    expect(userDataText.startsWith("#cloud-config\n")).toBe(true);
    expect(cloudInit.packages).toEqual(
      expect.arrayContaining(["docker.io", "docker-compose-v2", "cryptsetup"]),
    );
    const compose = obj(parseYaml(fileContent("/etc/rampart/compose.yaml")));
    const services = obj(compose.services);
    expect(obj(services.postgres).image).toBe(`postgres:${posture.database.major}`);
    expect(obj(services.redis).command).toEqual([
      "redis-server",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
    ]);
    for (const s of Object.values(services)) {
      expect(obj(s).ports).toBeUndefined();
      expect(obj(s).network_mode).toBeUndefined();
    }
    expect(fileContent("/etc/systemd/system/rampart-backup.timer")).toContain(
      `OnCalendar=${cronToOnCalendar(posture.backups.schedule)}\n`,
    );
    expect(fileContent("/etc/systemd/system/rampart-drill.timer")).toContain(
      `OnCalendar=${cronToOnCalendar(posture.drills.schedule)}\n`,
    );
    expect(fileContent("/etc/systemd/system/rampart-backup.service")).toContain(
      ` ${posture.jobs.image} backup --json`,
    );
    expect(fileContent("/etc/rampart/backup.env")).toContain(`RAMPART_STACK=${stack}\n`);
  });

  it("each env file carries only its own key: backup.env the backup key, escrow.env the escrow key", () => {
    expect(fileContent("/etc/rampart/backup.env")).toContain(`${SECRET_MARK}-backup-key`);
    expect(fileContent("/etc/rampart/backup.env")).not.toContain(`${SECRET_MARK}-drill-key`);
    expect(fileContent("/etc/rampart/escrow.env")).toContain(`${SECRET_MARK}-luks-escrow-key`);
    expect(fileContent("/etc/rampart/escrow.env").match(new RegExp(SECRET_MARK, "g"))).toHaveLength(1);
    expect(fileContent("/etc/rampart/app.env")).toContain(`${SECRET_MARK}-uploads-key`);
    expect(fileContent("/etc/rampart/app.env")).toContain(`${SECRET_MARK}-email-key`);
    expect(fileContent("/etc/rampart/app.env")).not.toContain(`${SECRET_MARK}-backup-key`);
  });

  it("buckets: encrypted with the CMK, versioned, private, owner-enforced, locked except uploads, lifecycle Hot → IA → Glacier → 400 days", () => {
    const buckets = ofType(rs, tokenOf(aws.s3.Bucket));
    expect(buckets.map((b) => b.inputs.bucket).sort()).toEqual([
      "prezio-backups-fra",
      "prezio-evidence-fra",
      "prezio-evidence-fra-trail",
      "prezio-logos-fra",
    ]);
    for (const role of ["backups", "evidence", "uploads"]) {
      expect(one(rs, tokenOf(aws.s3.BucketVersioning), role).inputs.versioningConfiguration).toEqual({
        status: "Enabled",
      });
      const [sse] = one(rs, tokenOf(aws.s3.BucketServerSideEncryptionConfiguration), role).inputs
        .rules as Obj[];
      expect(sse).toEqual({
        applyServerSideEncryptionByDefault: {
          sseAlgorithm: "aws:kms",
          kmsMasterKeyId: "arn:aws:kms:eu-central-1:123456789012:key/data-key-key",
        },
        bucketKeyEnabled: true,
      });
      expect(one(rs, tokenOf(aws.s3.BucketPublicAccessBlock), role).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(one(rs, tokenOf(aws.s3.BucketOwnershipControls), role).inputs.rule).toEqual({
        objectOwnership: "BucketOwnerEnforced",
      });
    }
    expect(one(rs, tokenOf(aws.s3.Bucket), "uploads").inputs.objectLockEnabled).toBe(false);
    expect(
      ofType(rs, tokenOf(aws.s3.BucketObjectLockConfiguration)).map((l) => [l.name, obj(l.inputs.rule)]),
    ).toEqual(
      expect.arrayContaining([
        ["backups-object-lock", { defaultRetention: { mode: "GOVERNANCE", days: 30 } }],
        ["evidence-object-lock", { defaultRetention: { mode: "GOVERNANCE", days: 400 } }],
      ]),
    );
    // Uploads (logos) are not locked; the audit trail bucket is compliance-locked for auditLogDays.
    expect(
      ofType(rs, tokenOf(aws.s3.BucketObjectLockConfiguration))
        .map((l) => l.name)
        .sort(),
    ).toEqual(["audit-logs-object-lock", "backups-object-lock", "evidence-object-lock"]);
    const [rule] = one(rs, tokenOf(aws.s3.BucketLifecycleConfiguration), "backups").inputs.rules as Obj[];
    expect(rule).toMatchObject({
      status: "Enabled",
      transitions: [
        { days: 30, storageClass: "STANDARD_IA" },
        { days: 90, storageClass: "GLACIER" },
      ],
      expiration: { days: 400 },
    });
    for (const k of ofType(rs, tokenOf(aws.kms.Key)))
      expect(k.inputs).toMatchObject({ enableKeyRotation: true, rotationPeriodInDays: 90 });
  });

  it("bucket policies (parsed JSON): TLS only everywhere; backups and evidence refuse bucket deletion and deletes but break-glass", () => {
    for (const role of ["backups", "evidence", "uploads"]) {
      const doc = policyOf(one(rs, tokenOf(aws.s3.BucketPolicy), role));
      expect(doc.Statement.find((s) => s.Sid === "DenyInsecureTransport")).toMatchObject({
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Condition: { Bool: { "aws:SecureTransport": false } },
      });
    }
    const doc = policyOf(one(rs, tokenOf(aws.s3.BucketPolicy), "backups"));
    expect(doc.Statement.find((s) => s.Sid === "DenyBucketDeletion")).toEqual({
      Sid: "DenyBucketDeletion",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:DeleteBucket", "s3:DeleteBucketPolicy"],
      Resource: ["arn:aws:s3:::prezio-backups-fra"],
    });
    const del = doc.Statement.find((s) => s.Sid === "DenyDeleteExceptBreakGlass");
    expect(del?.Action).toEqual(expect.arrayContaining(["s3:DeleteObject", "s3:DeleteObjectVersion"]));
    expect(del?.Condition?.ArnNotEquals?.["aws:PrincipalArn"]).toBe(
      "arn:aws:iam::123456789012:role/prezio-break-glass",
    );
    expect(policyOf(one(rs, tokenOf(aws.s3.BucketPolicy), "evidence")).Statement.map((s) => s.Sid)).toContain(
      "DenyBucketDeletion",
    );
    expect(policyOf(one(rs, tokenOf(aws.s3.BucketPolicy), "uploads")).Statement.map((s) => s.Sid)).toEqual([
      "DenyInsecureTransport",
    ]);
  });

  it("one IAM user and key per job, each with only its own least-privilege policy", () => {
    expect(
      ofType(rs, tokenOf(aws.iam.User))
        .map((u) => u.inputs.name)
        .sort(),
    ).toEqual([
      "prezio-alerts",
      "prezio-backup",
      "prezio-drill",
      "prezio-email",
      "prezio-luks-escrow",
      "prezio-uploads",
    ]);
    expect(ofType(rs, tokenOf(aws.iam.AccessKey))).toHaveLength(6);
    const policies = ofType(rs, tokenOf(aws.iam.UserPolicy));
    expect(policies).toHaveLength(6);
    for (const p of policies) {
      const doc = policyOf(p);
      expect(doc.Version).toBe("2012-10-17");
      for (const s of doc.Statement) {
        expect(s.Effect, p.name).toBe("Allow");
        expect(s.Principal, p.name).toBeUndefined();
        expect(s.Resource?.length, `${p.name} ${s.Sid}`).toBeGreaterThan(0);
        for (const a of s.Action) expect(a, `${p.name} ${s.Sid}`).not.toContain("*");
        for (const r of s.Resource ?? []) expect(r, `${p.name} ${s.Sid}`).not.toBe("*");
      }
    }
  });

  it("backup key: put and list only — no s3:GetObject, no s3:DeleteObject*, no *, nothing outside its buckets and key", () => {
    const doc = policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "backup-policy"));
    const actions = allowed(doc).flatMap((s) => s.Action);
    expect(new Set(actions)).toEqual(
      new Set([
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:ListBucket",
        "kms:GenerateDataKey",
        "kms:Decrypt",
      ]),
    );
    expect(actions).not.toContain("s3:GetObject");
    expect(actions.filter((a) => /^s3:DeleteObject/.test(a) || a.includes("*"))).toEqual([]);
    const resources = allowed(doc).flatMap((s) => s.Resource ?? []);
    expect(new Set(resources)).toEqual(
      new Set([
        "arn:aws:s3:::prezio-backups-fra/postgres/*",
        "arn:aws:s3:::prezio-backups-fra",
        "arn:aws:s3:::prezio-evidence-fra/evidence/*",
        "arn:aws:s3:::prezio-evidence-fra",
        "arn:aws:kms:eu-central-1:123456789012:key/data-key-key",
      ]),
    );
    for (const s of allowed(doc).filter((s) => s.Action.some((a) => a.startsWith("kms:"))))
      expect(s.Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.eu-central-1.amazonaws.com" } });
  });

  it("escrow key: Get/PutSecretValue on the LUKS secret only; email key: send as the domain only; uploads key: the logos bucket only", () => {
    const escrow = allowed(policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "luks-escrow-policy")));
    expect(escrow[0]).toMatchObject({
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
      Resource: [
        expect.stringMatching(/^arn:aws:secretsmanager:eu-central-1:123456789012:secret:prezio-luks-key-/),
      ],
    });
    expect(escrow[1]).toMatchObject({
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.eu-central-1.amazonaws.com" } },
    });
    expect(escrow).toHaveLength(2);
    expect(allowed(policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "email-policy")))).toEqual([
      {
        Sid: "SendAsDomain",
        Effect: "Allow",
        Action: ["ses:SendEmail", "ses:SendRawEmail"],
        Resource: ["arn:aws:ses:eu-central-1:123456789012:identity/prezio.app"],
      },
    ]);
    const uploads = allowed(policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "uploads-policy")));
    const s3Resources = uploads.flatMap((s) => s.Resource ?? []).filter((r) => r.startsWith("arn:aws:s3"));
    expect(new Set(s3Resources)).toEqual(
      new Set(["arn:aws:s3:::prezio-logos-fra/*", "arn:aws:s3:::prezio-logos-fra"]),
    );
    const drill = allowed(policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "drill-policy"))).flatMap(
      (s) => s.Action,
    );
    expect(drill).toEqual(expect.arrayContaining(["s3:GetObject", "s3:PutObject"]));
    expect(drill.filter((a) => a.startsWith("secretsmanager:") || /Delete/.test(a))).toEqual([]);
  });

  it("the job-failure alerts key may only publish to the alert topic (and use its key through SNS)", () => {
    const topicArn = "arn:aws:sns:eu-central-1:123456789012:alarms-topic";
    const statements = allowed(policyOf(one(rs, tokenOf(aws.iam.UserPolicy), "alerts-policy")));
    expect(statements).toEqual([
      { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: [topicArn] },
      {
        Sid: "EncryptViaSns",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: ["arn:aws:kms:eu-central-1:123456789012:key/data-key-key"],
        Condition: { StringEquals: { "kms:ViaService": "sns.eu-central-1.amazonaws.com" } },
      },
    ]);
    expect(one(rs, tokenOf(aws.sns.Topic)).inputs.kmsMasterKeyId).toBe(statements[1]?.Resource?.[0]);
    const env = fileContent("/etc/rampart/alerts.env");
    expect(env).toContain(`RAMPART_ALERT_TOPIC_ARN=${topicArn}`);
    expect(env).toContain(`${SECRET_MARK}-alerts-key`);
    expect(env).not.toMatch(/backup-key|drill-key|escrow-key/);
  });

  it("the LUKS escrow secret: CMK-encrypted, protected recovery window, no value from Pulumi", () => {
    expect(one(rs, tokenOf(aws.secretsmanager.Secret)).inputs).toMatchObject({
      name: "prezio-luks-key",
      kmsKeyId: "arn:aws:kms:eu-central-1:123456789012:key/data-key-key",
      recoveryWindowInDays: 30,
    });
    expect(ofType(rs, tokenOf(aws.secretsmanager.SecretVersion))).toEqual([]);
  });

  it("no access key secret appears in any non-secret input; the user data is a secret", () => {
    const plain = JSON.stringify(rs.map((r) => plaintextOf(r.inputs)));
    expect(plain).not.toContain(SECRET_MARK);
    // The check above is only meaningful if the secrets did reach the server's user data.
    // Five job/app keys and the job-failure alerts key.
    expect(userDataText.match(new RegExp(SECRET_MARK, "g"))).toHaveLength(6);
    expect(inventoryJson(rs)).not.toContain(SECRET_MARK);
  });

  it("passes the Rampart policy pack (infra/policy) with no violation", () => {
    // The mocks give every resource the id `<name>-id`, as `rampart plan` records it.
    const subjects = rs.map((r) => ({
      type: r.type,
      name: r.name,
      id: `${r.name}-id`,
      props: obj(revealed(r.inputs)),
    }));
    const findings = evaluate(subjects, posture);
    expect(findings.filter((f) => f.ok).length).toBeGreaterThan(30);
    expect(violations(findings).map(describeViolation)).toEqual([]);
    // Uptime and alerting are proven by this profile's own resources, not skipped.
    for (const claim of ["monitoring.uptime", "monitoring.alerts"])
      expect(findings.filter((f) => f.claim === claim && f.ok).length).toBeGreaterThan(0);
    expect(findings.filter((f) => f.claim === "audit.logs").every((f) => f.ok)).toBe(true);
  });

  it("alerts the posture's emails on an encrypted topic and checks every uptime path from outside", () => {
    const topic = one(rs, tokenOf(aws.sns.Topic), "alarms-topic");
    expect(topic.inputs.region).toBe(posture.regions.storage);
    expect(topic.inputs.kmsMasterKeyId).toMatch(/^arn:aws:kms:eu-central-1:\d+:key\/data-key-key$/);
    expect(
      ofType(rs, tokenOf(aws.sns.TopicSubscription)).map((r) => [r.inputs.protocol, r.inputs.endpoint]),
    ).toEqual(posture.monitoring.alertEmails.map((e) => ["email", e]));
    const checks = ofType(rs, tokenOf(aws.route53.HealthCheck));
    expect(checks.map((c) => [c.inputs.fqdn, c.inputs.resourcePath, c.inputs.type])).toEqual(
      posture.monitoring.uptime.paths.map((p) => [posture.edge?.domain, p, "HTTPS"]),
    );
    // Route 53 metrics exist only in us-east-1: the alarms live there and are forwarded to the topic.
    const alarms = ofType(rs, tokenOf(aws.cloudwatch.MetricAlarm));
    expect(alarms.map((a) => a.inputs.region)).toEqual(
      posture.monitoring.uptime.paths.map(() => "us-east-1"),
    );
    expect(one(rs, tokenOf(aws.cloudwatch.EventTarget), "uptime-state-in-to-topic").inputs.region).toBe(
      posture.regions.storage,
    );
  });

  it("reuses the Cloudflare edge", () => {
    expect(ofType(rs, "cloudflare:index/zoneSetting:ZoneSetting").length).toBeGreaterThan(3);
  });
});
