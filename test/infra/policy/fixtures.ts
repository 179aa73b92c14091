// Compliant worlds built from the real provider classes, recorded under the mock runtime. Each rule test
// starts from one, breaks exactly one property, and expects exactly the rule's claim to fail.
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as gcp from "@pulumi/gcp";
import * as hcloud from "@pulumi/hcloud";
import { cronToOnCalendar } from "../../../infra/cloud-init/on-calendar.ts";
import { MANAGED_RULESETS } from "../../../infra/components/cloudflare/rules.ts";
import type { Subject } from "../../../infra/policy/types.ts";
import { loadPosture, type Posture } from "../../../posture/index.ts";
import { type Recorded, recordProgram } from "../../../scripts/lib/plan/record.ts";

const DAY = 86_400;
export const toSubjects = (rs: readonly Recorded[]): Subject[] =>
  rs.map((r) => ({ type: r.type, name: r.name, id: r.id, props: r.inputs }));

function edge(p: Posture): void {
  const e = p.edge;
  if (!e) return;
  const zoneId = "zone-1";
  const settings: [string, unknown][] = [
    ["ssl", "strict"],
    ["min_tls_version", e.minTls],
    ["tls_1_3", "on"],
    ["always_use_https", "on"],
    ["automatic_https_rewrites", "on"],
    [
      "security_header",
      {
        strictTransportSecurity: {
          enabled: true,
          maxAge: e.hsts.maxAgeSeconds,
          includeSubdomains: true,
          preload: e.hsts.preload,
          nosniff: true,
        },
      },
    ],
  ];
  for (const [settingId, value] of settings)
    new cloudflare.ZoneSetting(`zone-${settingId}`, { zoneId, settingId, value: value as string });
  new cloudflare.ZoneDnssec("dnssec", { zoneId, status: "active" });
  new cloudflare.Ruleset("waf", {
    zoneId,
    kind: "zone",
    name: "waf",
    phase: "http_request_firewall_managed",
    rules: [MANAGED_RULESETS.cloudflare, MANAGED_RULESETS.owasp].map((id) => ({
      action: "execute",
      expression: "true",
      actionParameters: { id },
    })),
  });
  new cloudflare.Ruleset("ratelimit", {
    zoneId,
    kind: "zone",
    name: "rl",
    phase: "http_ratelimit",
    rules: e.rateLimits.map((r) => ({
      action: "block",
      expression: `starts_with(http.request.uri.path, "${r.path}")`,
      ratelimit: {
        characteristics: ["ip.src", "cf.colo.id"],
        period: r.periodSeconds,
        requestsPerPeriod: r.requests,
        mitigationTimeout: 600,
      },
    })),
  });
}

/** gcp-zurich's promises kept by hand-built GCP resources. */
export function gcpWorld(p: Posture): void {
  const region = p.regions.primary;
  const ring = new gcp.kms.KeyRing("ring", { location: region });
  const key = new gcp.kms.CryptoKey("key", {
    keyRing: ring.id,
    rotationPeriod: `${p.encryption.kmsRotationDays * DAY}s`,
  });
  for (const role of ["backups", "evidence", "uploads"] as const) {
    const b = p.buckets[role];
    if (!b) continue;
    const lock = b.objectLock;
    const tiers: Record<string, string> = { infrequent: "NEARLINE", cold: "COLDLINE", archive: "ARCHIVE" };
    new gcp.storage.Bucket(`${role}-bucket`, {
      name: b.name,
      location: region,
      versioning: { enabled: !lock },
      encryption: { defaultKmsKeyName: key.id },
      publicAccessPrevention: "enforced",
      uniformBucketLevelAccess: true,
      ...(lock
        ? {
            retentionPolicy: {
              retentionPeriod: String(lock.days * DAY),
              isLocked: lock.mode === "compliance",
            },
          }
        : {}),
      lifecycleRules: [
        ...b.lifecycle.tiers.map((t) => ({
          action: { type: "SetStorageClass", storageClass: tiers[t.tier] },
          condition: { age: t.afterDays },
        })),
        ...(b.lifecycle.expireDays
          ? [{ action: { type: "Delete" }, condition: { age: b.lifecycle.expireDays } }]
          : []),
        ...(lock
          ? []
          : [
              {
                action: { type: "Delete" },
                condition: {
                  daysSinceNoncurrentTime: b.lifecycle.noncurrentExpireDays,
                  withState: "ARCHIVED",
                },
              },
            ]),
      ],
    });
  }
  new gcp.sql.DatabaseInstance("db", {
    region,
    databaseVersion: "POSTGRES_17",
    encryptionKeyName: key.id,
    deletionProtection: true,
    settings: {
      tier: "db-custom-2-7680",
      deletionProtectionEnabled: true,
      ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY", privateNetwork: "net" },
      backupConfiguration: {
        enabled: true,
        pointInTimeRecoveryEnabled: true,
        transactionLogRetentionDays: p.database.pitrDays,
      },
    },
  });
  new gcp.secretmanager.Secret("secret", {
    secretId: "s",
    replication: {
      userManaged: { replicas: [{ location: region, customerManagedEncryption: { kmsKeyName: key.id } }] },
    },
  });
  new gcp.storage.BucketIAMMember("backup-writes", {
    bucket: "numezis-backups-zrh",
    role: "roles/storage.objectCreator",
    member: "serviceAccount:backup@x.iam.gserviceaccount.com",
  });
  new gcp.cloudscheduler.Job("backup-schedule", {
    region,
    schedule: p.backups.schedule,
    timeZone: "Etc/UTC",
    httpTarget: { uri: "https://x" },
  });
  new gcp.cloudscheduler.Job("drill-schedule", {
    region,
    schedule: p.drills.schedule,
    timeZone: "Etc/UTC",
    httpTarget: { uri: "https://x" },
  });
  new gcp.projects.IAMAuditConfig("audit", {
    project: "p",
    service: "allServices",
    auditLogConfigs: ["ADMIN_READ", "DATA_READ", "DATA_WRITE"].map((logType) => ({ logType })),
  });
  new gcp.logging.ProjectBucketConfig("audit-logs", {
    project: "p",
    location: region,
    bucketId: "_Default",
    retentionDays: p.monitoring.auditLogDays,
  });
  for (const path of p.monitoring.uptime.paths)
    new gcp.monitoring.UptimeCheckConfig(`uptime${path.replace(/\W/g, "-")}`, {
      displayName: path,
      timeout: "10s",
      httpCheck: { path, useSsl: true },
    });
  for (const email of p.monitoring.alertEmails)
    new gcp.monitoring.NotificationChannel(`email-${email}`, {
      type: "email",
      labels: { email_address: email },
    });
  new gcp.monitoring.AlertPolicy("alert", { displayName: "a", combiner: "OR", conditions: [] });
  edge(p);
}

const secureTransport = (bucket: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "TLS",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: [`arn:aws:s3:::${bucket}`],
        Condition: { Bool: { "aws:SecureTransport": false } },
      },
    ],
  });

/** S3 buckets with every side resource, for the AWS and self-hosted profiles. */
function s3Buckets(p: Posture, keyArn: string): void {
  const region = p.regions.storage;
  const classes: Record<string, string> = {
    infrequent: "STANDARD_IA",
    cold: "GLACIER",
    archive: "DEEP_ARCHIVE",
  };
  for (const role of ["backups", "evidence", "uploads"] as const) {
    const b = p.buckets[role];
    if (!b?.name) continue;
    const bucket = new aws.s3.Bucket(`${role}-bucket`, {
      bucket: b.name,
      region,
      objectLockEnabled: b.objectLock !== null,
    });
    new aws.s3.BucketVersioning(`${role}-versioning`, {
      bucket: bucket.id,
      region,
      versioningConfiguration: { status: "Enabled" },
    });
    new aws.s3.BucketServerSideEncryptionConfiguration(`${role}-sse`, {
      bucket: bucket.id,
      region,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn } }],
    });
    new aws.s3.BucketPublicAccessBlock(`${role}-public`, {
      bucket: bucket.id,
      region,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new aws.s3.BucketPolicy(`${role}-policy`, { bucket: bucket.id, region, policy: secureTransport(b.name) });
    if (b.objectLock)
      new aws.s3.BucketObjectLockConfiguration(`${role}-lock`, {
        bucket: bucket.id,
        region,
        rule: { defaultRetention: { mode: b.objectLock.mode.toUpperCase(), days: b.objectLock.days } },
      });
    new aws.s3.BucketLifecycleConfiguration(`${role}-lifecycle`, {
      bucket: bucket.id,
      region,
      rules: [
        {
          id: "tiers",
          status: "Enabled",
          transitions: b.lifecycle.tiers.map((t) => ({
            days: t.afterDays,
            storageClass: classes[t.tier] ?? "",
          })),
          ...(b.lifecycle.expireDays ? { expiration: { days: b.lifecycle.expireDays } } : {}),
          noncurrentVersionExpiration: { noncurrentDays: b.lifecycle.noncurrentExpireDays },
        },
      ],
    });
  }
}

const putOnly = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Put",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::b/*"],
    },
  ],
});

function schedules(region: string, p: Posture): void {
  const aws_ = (c: string) => {
    const [m, h, dom, mon] = c.split(" ");
    return `cron(${m} ${h} ${dom} ${mon} ? *)`;
  };
  new aws.scheduler.Schedule("backup-schedule", {
    region,
    scheduleExpression: aws_(p.backups.schedule),
    scheduleExpressionTimezone: "UTC",
    flexibleTimeWindow: { mode: "OFF" },
    target: { arn: "a", roleArn: "r" },
  });
  new aws.scheduler.Schedule("drill-schedule", {
    region,
    scheduleExpression: aws_(p.drills.schedule),
    flexibleTimeWindow: { mode: "OFF" },
    target: { arn: "a", roleArn: "r" },
  });
}

/** aws-frankfurt's promises kept by hand-built AWS resources. */
export function awsWorld(p: Posture): void {
  // The self-hosted profile keeps its data in AWS, in regions.storage.
  const region = p.profile === "aws" ? p.regions.primary : p.regions.storage;
  const key = new aws.kms.Key("key", {
    region,
    enableKeyRotation: true,
    rotationPeriodInDays: p.encryption.kmsRotationDays,
  });
  s3Buckets(p, "arn:aws:kms:eu-central-1:0:key/k");
  new aws.rds.ParameterGroup("db-params", {
    name: "db-params",
    region,
    family: "postgres17",
    parameters: [{ name: "rds.force_ssl", value: "1" }],
  });
  new aws.rds.Instance("db", {
    region,
    instanceClass: "db.t4g.small",
    engine: "postgres",
    parameterGroupName: "db-params",
    publiclyAccessible: false,
    storageEncrypted: true,
    kmsKeyId: key.arn,
    backupRetentionPeriod: p.database.pitrDays,
    deletionProtection: true,
  });
  new aws.secretsmanager.Secret("secret", { region, kmsKeyId: key.arn });
  new aws.iam.RolePolicy("backup-access", { role: "backup-role", policy: putOnly });
  // The self-hosted profile schedules its jobs with systemd timers on the server instead.
  if (p.profile === "aws") schedules(region, p);
  new aws.cloudtrail.Trail("trail", {
    region,
    s3BucketName: "trail",
    enableLogging: true,
    eventSelectors: [
      { readWriteType: "All", dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] },
    ],
  });
  for (const path of p.monitoring.uptime.paths)
    new aws.route53.HealthCheck(`uptime${path.replace(/\W/g, "-")}`, {
      type: "HTTPS",
      resourcePath: path,
      fqdn: p.edge?.domain ?? "x",
    });
  for (const email of p.monitoring.alertEmails)
    new aws.sns.TopicSubscription(`email-${email}`, {
      region,
      topic: "t",
      protocol: "email",
      endpoint: email,
    });
  new aws.cloudwatch.MetricAlarm("alarm", {
    region,
    comparisonOperator: "GreaterThanThreshold",
    evaluationPeriods: 1,
  });
  edge(p);
}

/** hetzner-nuremberg: a firewalled VPS with systemd timers, S3 storage in AWS. */
export function hetznerWorld(p: Posture): void {
  new hcloud.Firewall("firewall", {
    rules: [{ direction: "in", protocol: "tcp", port: "443", sourceIps: ["0.0.0.0/0", "::/0"] }],
  });
  const timers = [p.backups.schedule, p.drills.schedule]
    .map((c) => `OnCalendar=${cronToOnCalendar(c)}`)
    .join("\n");
  new hcloud.Server("app", {
    serverType: "cx22",
    image: "debian-12",
    location: p.regions.primary,
    userData: timers,
  });
  awsWorld(p);
}

export const WORLDS = {
  "gcp-zurich": gcpWorld,
  "aws-frankfurt": awsWorld,
  "hetzner-nuremberg": hetznerWorld,
} as const;

/** Record a world once: the posture and its compliant resources. */
export async function recordWorld(
  stack: keyof typeof WORLDS,
): Promise<{ posture: Posture; resources: Subject[] }> {
  const posture = loadPosture(stack);
  const recorded = await recordProgram(() => WORLDS[stack](posture), { stack });
  return { posture, resources: toSubjects(recorded) };
}
