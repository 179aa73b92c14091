import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as gcp from "@pulumi/gcp";
import * as hcloud from "@pulumi/hcloud";
import { beforeAll, describe, expect, test } from "vitest";
import { cronToOnCalendar } from "../../../infra/cloud-init/on-calendar.ts";
import { evaluate, ruleApplies, violations } from "../../../infra/policy/evaluate.ts";
import { RULES } from "../../../infra/policy/rules/index.ts";
import { residencyAnything } from "../../../infra/policy/rules/residency.ts";
import { tokenOf } from "../../../infra/policy/tokens.ts";
import type { Subject } from "../../../infra/policy/types.ts";
import { loadPosture, type Posture } from "../../../posture/index.ts";
import { recordWorld, type WORLDS } from "./fixtures.ts";
import { add, apply, drop, type Mutation, set } from "./mutate.ts";

type World = keyof typeof WORLDS;
const worlds = {} as Record<World, { posture: Posture; resources: Subject[] }>;

beforeAll(async () => {
  // One recording at a time: the mock runtime is process-global.
  for (const w of ["gcp-zurich", "aws-frankfurt", "hetzner-nuremberg"] as const)
    worlds[w] = await recordWorld(w);
}, 120_000);

const G = {
  bucket: tokenOf(gcp.storage.Bucket),
  ring: tokenOf(gcp.kms.KeyRing),
  key: tokenOf(gcp.kms.CryptoKey),
  sql: tokenOf(gcp.sql.DatabaseInstance),
  secret: tokenOf(gcp.secretmanager.Secret),
  member: tokenOf(gcp.storage.BucketIAMMember),
  projectMember: tokenOf(gcp.projects.IAMMember),
  scheduler: tokenOf(gcp.cloudscheduler.Job),
  audit: tokenOf(gcp.projects.IAMAuditConfig),
  logBucket: tokenOf(gcp.logging.ProjectBucketConfig),
  uptime: tokenOf(gcp.monitoring.UptimeCheckConfig),
  channel: tokenOf(gcp.monitoring.NotificationChannel),
  alert: tokenOf(gcp.monitoring.AlertPolicy),
};
const CF = {
  setting: tokenOf(cloudflare.ZoneSetting),
  dnssec: tokenOf(cloudflare.ZoneDnssec),
  ruleset: tokenOf(cloudflare.Ruleset),
};
const A = {
  bucket: tokenOf(aws.s3.Bucket),
  versioning: tokenOf(aws.s3.BucketVersioning),
  sse: tokenOf(aws.s3.BucketServerSideEncryptionConfiguration),
  public: tokenOf(aws.s3.BucketPublicAccessBlock),
  policy: tokenOf(aws.s3.BucketPolicy),
  lock: tokenOf(aws.s3.BucketObjectLockConfiguration),
  lifecycle: tokenOf(aws.s3.BucketLifecycleConfiguration),
  rds: tokenOf(aws.rds.Instance),
  params: tokenOf(aws.rds.ParameterGroup),
  secret: tokenOf(aws.secretsmanager.Secret),
  key: tokenOf(aws.kms.Key),
  rolePolicy: tokenOf(aws.iam.RolePolicy),
  attachment: tokenOf(aws.iam.RolePolicyAttachment),
  schedule: tokenOf(aws.scheduler.Schedule),
  trail: tokenOf(aws.cloudtrail.Trail),
  health: tokenOf(aws.route53.HealthCheck),
  subscription: tokenOf(aws.sns.TopicSubscription),
  alarm: tokenOf(aws.cloudwatch.MetricAlarm),
};
const H = { firewall: tokenOf(hcloud.Firewall), server: tokenOf(hcloud.Server) };

const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (Action: string[]) => ({ Effect: "Allow", Action, Resource: ["arn:aws:s3:::b/*"] });

/** [world, what is weakened, mutation, the claims that must fail — and only those]. */
const CASES: [World, string, Mutation, string[]][] = [
  // GCS buckets
  [
    "gcp-zurich",
    "uploads bucket versioning off",
    set(G.bucket, "uploads", "versioning.enabled", false),
    ["storage.versioned"],
  ],
  [
    "gcp-zurich",
    "backups bucket in the US multi-region",
    set(G.bucket, "backups", "location", "US"),
    ["residency.region"],
  ],
  [
    "gcp-zurich",
    "bucket without a location",
    set(G.bucket, "uploads", "location", undefined),
    ["residency.region"],
  ],
  [
    "gcp-zurich",
    "archive tier missing",
    set(G.bucket, "backups", "lifecycleRules", []),
    ["storage.lifecycle"],
  ],
  [
    "gcp-zurich",
    "expiry shorter than the retention",
    set(G.bucket, "backups", "lifecycleRules.3.condition.age", 100),
    ["storage.lifecycle", "backup.retention"],
  ],
  [
    "gcp-zurich",
    "noncurrent versions never expire",
    set(G.bucket, "uploads", "lifecycleRules", []),
    ["storage.lifecycle"],
  ],
  [
    "gcp-zurich",
    "bucket lock shorter than promised",
    set(G.bucket, "backups", "retentionPolicy.retentionPeriod", "864000"),
    ["storage.object-lock", "backup.retention"],
  ],
  [
    "gcp-zurich",
    "compliance lock not locked",
    set(G.bucket, "evidence", "retentionPolicy.isLocked", false),
    ["storage.object-lock"],
  ],
  [
    "gcp-zurich",
    "public access prevention inherited",
    set(G.bucket, "uploads", "publicAccessPrevention", "inherited"),
    ["storage.public-access-blocked"],
  ],
  [
    "gcp-zurich",
    "per-object ACLs",
    set(G.bucket, "uploads", "uniformBucketLevelAccess", false),
    ["storage.public-access-blocked"],
  ],
  [
    "gcp-zurich",
    "website hosting over HTTP",
    set(G.bucket, "uploads", "website", { mainPageSuffix: "index.html" }),
    ["storage.tls-only"],
  ],
  [
    "gcp-zurich",
    "bucket without CMEK",
    set(G.bucket, "uploads", "encryption", undefined),
    ["encryption.at-rest"],
  ],
  [
    "gcp-zurich",
    "database without CMEK",
    set(G.sql, "db", "encryptionKeyName", undefined),
    ["encryption.at-rest"],
  ],
  [
    "gcp-zurich",
    "secret replica without CMEK",
    set(G.secret, "secret", "replication.userManaged.replicas", [{ location: "europe-west6" }]),
    ["encryption.at-rest"],
  ],
  [
    "gcp-zurich",
    "key rotated yearly",
    set(G.key, "key", "rotationPeriod", "31536000s"),
    ["encryption.key-rotation"],
  ],
  ["gcp-zurich", "no KMS key at all", drop(G.key), ["encryption.key-rotation"]],
  ["gcp-zurich", "key ring in global", set(G.ring, "ring", "location", "global"), ["residency.region"]],
  // Cloud SQL
  [
    "gcp-zurich",
    "public IPv4",
    set(G.sql, "db", "settings.ipConfiguration.ipv4Enabled", true),
    ["database.private"],
  ],
  ["gcp-zurich", "no database at all", drop(G.sql), ["database.private"]],
  [
    "gcp-zurich",
    "unencrypted connections allowed",
    set(G.sql, "db", "settings.ipConfiguration.sslMode", "ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
    ["database.tls-only"],
  ],
  [
    "gcp-zurich",
    "PITR off",
    set(G.sql, "db", "settings.backupConfiguration.pointInTimeRecoveryEnabled", false),
    ["database.pitr"],
  ],
  [
    "gcp-zurich",
    "automated backups off",
    set(G.sql, "db", "settings.backupConfiguration.enabled", false),
    ["database.pitr"],
  ],
  [
    "gcp-zurich",
    "PITR window too short",
    set(G.sql, "db", "settings.backupConfiguration.transactionLogRetentionDays", 1),
    ["database.pitr"],
  ],
  [
    "gcp-zurich",
    "Pulumi deletion protection off",
    set(G.sql, "db", "deletionProtection", false),
    ["database.deletion-protection"],
  ],
  [
    "gcp-zurich",
    "Cloud SQL deletion protection off",
    set(G.sql, "db", "settings.deletionProtectionEnabled", false),
    ["database.deletion-protection"],
  ],
  // GCP IAM, schedules, audit, monitoring
  [
    "gcp-zurich",
    "backup SA can delete",
    set(G.member, "backup", "role", "roles/storage.objectAdmin"),
    ["backup.least-privilege"],
  ],
  [
    "gcp-zurich",
    "job SA is storage admin on the project",
    add({
      type: G.projectMember,
      name: "drill-admin",
      props: {
        project: "p",
        role: "roles/storage.admin",
        member: "serviceAccount:drill@x.iam.gserviceaccount.com",
      },
    }),
    ["backup.least-privilege"],
  ],
  ["gcp-zurich", "no backup job identity", drop(G.member, "backup"), ["backup.least-privilege"]],
  [
    "gcp-zurich",
    "backups hourly instead of every 4 hours",
    set(G.scheduler, "backup", "schedule", "0 * * * *"),
    ["backup.frequency"],
  ],
  [
    "gcp-zurich",
    "backup schedule in local time",
    set(G.scheduler, "backup", "timeZone", "Europe/Zurich"),
    ["backup.frequency"],
  ],
  ["gcp-zurich", "no backup schedule", drop(G.scheduler, "backup"), ["backup.frequency"]],
  [
    "gcp-zurich",
    "drill on another day",
    set(G.scheduler, "drill", "schedule", "0 5 2 * *"),
    ["drill.frequency"],
  ],
  [
    "gcp-zurich",
    "only admin reads audited",
    set(G.audit, "audit", "auditLogConfigs", [{ logType: "ADMIN_READ" }]),
    ["audit.logs"],
  ],
  ["gcp-zurich", "no audit config", drop(G.audit), ["audit.logs"]],
  ["gcp-zurich", "audit logs kept 30 days", set(G.logBucket, "audit", "retentionDays", 30), ["audit.logs"]],
  ["gcp-zurich", "no uptime check for /login", drop(G.uptime, "login"), ["monitoring.uptime"]],
  ["gcp-zurich", "no email channel", drop(G.channel), ["monitoring.alerts"]],
  ["gcp-zurich", "no alert policy", drop(G.alert), ["monitoring.alerts"]],
  // Cloudflare edge
  ["gcp-zurich", "TLS 1.0 allowed", set(CF.setting, "min_tls_version", "value", "1.0"), ["edge.tls-min"]],
  ["gcp-zurich", "TLS 1.3 off", set(CF.setting, "tls_1_3", "value", "off"), ["edge.tls-min"]],
  [
    "gcp-zurich",
    "min TLS left to Cloudflare's default",
    drop(CF.setting, "min_tls_version"),
    ["edge.tls-min"],
  ],
  [
    "gcp-zurich",
    "HTTP not redirected",
    set(CF.setting, "always_use_https", "value", "off"),
    ["edge.https-only"],
  ],
  [
    "gcp-zurich",
    "no HTTPS rewrites",
    set(CF.setting, "automatic_https_rewrites", "value", "off"),
    ["edge.https-only"],
  ],
  [
    "gcp-zurich",
    "origin certificate not verified",
    set(CF.setting, "ssl", "value", "full"),
    ["edge.https-only"],
  ],
  [
    "gcp-zurich",
    "HSTS max-age 5 minutes",
    set(CF.setting, "security_header", "value.strictTransportSecurity.maxAge", 300),
    ["edge.hsts"],
  ],
  [
    "gcp-zurich",
    "HSTS without preload",
    set(CF.setting, "security_header", "value.strictTransportSecurity.preload", false),
    ["edge.hsts"],
  ],
  [
    "gcp-zurich",
    "HSTS without subdomains",
    set(CF.setting, "security_header", "value.strictTransportSecurity.includeSubdomains", false),
    ["edge.hsts"],
  ],
  ["gcp-zurich", "DNSSEC disabled", set(CF.dnssec, "dnssec", "status", "disabled"), ["edge.dnssec"]],
  ["gcp-zurich", "no DNSSEC", drop(CF.dnssec), ["edge.dnssec"]],
  [
    "gcp-zurich",
    "OWASP ruleset missing",
    set(CF.ruleset, "waf", "rules", [
      { action: "execute", expression: "true", actionParameters: { id: "efb7b8c949ac4650a09736fc376e9aee" } },
    ]),
    ["edge.waf"],
  ],
  ["gcp-zurich", "no WAF", drop(CF.ruleset, "waf"), ["edge.waf"]],
  [
    "gcp-zurich",
    "login limit too generous",
    set(CF.ruleset, "ratelimit", "rules.0.ratelimit.requestsPerPeriod", 1000),
    ["edge.rate-limit"],
  ],
  ["gcp-zurich", "no rate limits", drop(CF.ruleset, "ratelimit"), ["edge.rate-limit"]],
  // S3
  [
    "aws-frankfurt",
    "versioning suspended",
    set(A.versioning, "uploads", "versioningConfiguration.status", "Suspended"),
    ["storage.versioned"],
  ],
  ["aws-frankfurt", "no BucketVersioning", drop(A.versioning, "uploads"), ["storage.versioned"]],
  [
    "aws-frankfurt",
    "public policies allowed",
    set(A.public, "uploads", "blockPublicPolicy", false),
    ["storage.public-access-blocked"],
  ],
  ["aws-frankfurt", "no public access block", drop(A.public, "uploads"), ["storage.public-access-blocked"]],
  [
    "aws-frankfurt",
    "bucket policy allows plain HTTP",
    set(A.policy, "uploads", "policy", doc(allow(["s3:GetObject"]))),
    ["storage.tls-only"],
  ],
  ["aws-frankfurt", "no bucket policy", drop(A.policy, "backups"), ["storage.tls-only"]],
  [
    "aws-frankfurt",
    "S3-managed keys instead of KMS",
    set(A.sse, "uploads", "rules", [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]),
    ["encryption.at-rest"],
  ],
  ["aws-frankfurt", "no default encryption", drop(A.sse, "uploads"), ["encryption.at-rest"]],
  [
    "aws-frankfurt",
    "object lock not enabled",
    set(A.bucket, "backups", "objectLockEnabled", false),
    ["storage.object-lock"],
  ],
  [
    "aws-frankfurt",
    "lock shorter than promised",
    set(A.lock, "backups", "rule.defaultRetention.days", 1),
    ["storage.object-lock"],
  ],
  [
    "aws-frankfurt",
    "governance instead of compliance",
    set(A.lock, "evidence", "rule.defaultRetention.mode", "GOVERNANCE"),
    ["storage.object-lock"],
  ],
  ["aws-frankfurt", "no lock configuration", drop(A.lock, "backups"), ["storage.object-lock"]],
  [
    "aws-frankfurt",
    "tier transition missing",
    set(A.lifecycle, "backups", "rules.0.transitions", []),
    ["storage.lifecycle"],
  ],
  [
    "aws-frankfurt",
    "expiry shorter than the retention",
    set(A.lifecycle, "backups", "rules.0.expiration.days", 100),
    ["storage.lifecycle", "backup.retention"],
  ],
  [
    "aws-frankfurt",
    "noncurrent versions never expire",
    set(A.lifecycle, "uploads", "rules.0.noncurrentVersionExpiration", undefined),
    ["storage.lifecycle"],
  ],
  [
    "aws-frankfurt",
    "lifecycle rule disabled",
    set(A.lifecycle, "uploads", "rules.0.status", "Disabled"),
    ["storage.lifecycle"],
  ],
  [
    "aws-frankfurt",
    "bucket in another region",
    set(A.bucket, "backups", "region", "us-east-1"),
    ["residency.region"],
  ],
  // RDS, KMS, secrets
  ["aws-frankfurt", "public RDS", set(A.rds, "db", "publiclyAccessible", true), ["database.private"]],
  [
    "aws-frankfurt",
    "unencrypted RDS storage",
    set(A.rds, "db", "storageEncrypted", false),
    ["encryption.at-rest"],
  ],
  ["aws-frankfurt", "RDS without CMK", set(A.rds, "db", "kmsKeyId", undefined), ["encryption.at-rest"]],
  ["aws-frankfurt", "PITR window too short", set(A.rds, "db", "backupRetentionPeriod", 1), ["database.pitr"]],
  [
    "aws-frankfurt",
    "RDS deletion protection off",
    set(A.rds, "db", "deletionProtection", false),
    ["database.deletion-protection"],
  ],
  [
    "aws-frankfurt",
    "rds.force_ssl off",
    set(A.params, "db-params", "parameters", [{ name: "rds.force_ssl", value: "0" }]),
    ["database.tls-only"],
  ],
  [
    "aws-frankfurt",
    "secret without CMK",
    set(A.secret, "secret", "kmsKeyId", undefined),
    ["encryption.at-rest"],
  ],
  [
    "aws-frankfurt",
    "key rotation off",
    set(A.key, "key", "enableKeyRotation", false),
    ["encryption.key-rotation"],
  ],
  [
    "aws-frankfurt",
    "key rotated yearly",
    set(A.key, "key", "rotationPeriodInDays", 365),
    ["encryption.key-rotation"],
  ],
  // IAM
  [
    "aws-frankfurt",
    "backup role with s3:*",
    set(A.rolePolicy, "backup", "policy", doc(allow(["s3:*"]))),
    ["backup.least-privilege"],
  ],
  [
    "aws-frankfurt",
    "backup role with s3:Delete*",
    set(A.rolePolicy, "backup", "policy", doc(allow(["s3:PutObject", "s3:Delete*"]))),
    ["backup.least-privilege"],
  ],
  [
    "aws-frankfurt",
    "backup role with NotAction",
    set(
      A.rolePolicy,
      "backup",
      "policy",
      doc({ Effect: "Allow", NotAction: ["s3:GetObject"], Resource: ["*"] }),
    ),
    ["backup.least-privilege"],
  ],
  [
    "aws-frankfurt",
    "job role with AmazonS3FullAccess",
    add({
      type: A.attachment,
      name: "drill-s3",
      props: { role: "drill", policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" },
    }),
    ["backup.least-privilege"],
  ],
  // Schedules, audit, monitoring
  [
    "aws-frankfurt",
    "backups hourly",
    set(A.schedule, "backup", "scheduleExpression", "cron(0 * * * ? *)"),
    ["backup.frequency"],
  ],
  [
    "aws-frankfurt",
    "backups in local time",
    set(A.schedule, "backup", "scheduleExpressionTimezone", "Europe/Berlin"),
    ["backup.frequency"],
  ],
  ["aws-frankfurt", "trail logging off", set(A.trail, "trail", "enableLogging", false), ["audit.logs"]],
  ["aws-frankfurt", "no S3 data events", set(A.trail, "trail", "eventSelectors", undefined), ["audit.logs"]],
  ["aws-frankfurt", "no trail", drop(A.trail), ["audit.logs"]],
  [
    "aws-frankfurt",
    "S3 data events on another bucket only",
    set(A.trail, "trail", "eventSelectors", [
      { readWriteType: "All", dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3:::other/"] }] },
    ]),
    ["audit.logs"],
  ],
  [
    "aws-frankfurt",
    "S3 data events recorded for writes only",
    set(A.trail, "trail", "eventSelectors[0].readWriteType", "WriteOnly"),
    ["audit.logs"],
  ],
  [
    "aws-frankfurt",
    "advanced selectors: management events only",
    (rs) =>
      set(A.trail, "trail", "advancedEventSelectors", [
        { fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
      ])(set(A.trail, "trail", "eventSelectors", undefined)(rs)),
    ["audit.logs"],
  ],
  [
    "aws-frankfurt",
    "advanced selectors: S3 data events on the backups bucket but not evidence",
    (rs) =>
      set(A.trail, "trail", "advancedEventSelectors", [
        {
          fieldSelectors: [
            { field: "eventCategory", equals: ["Data"] },
            { field: "resources.type", equals: ["AWS::S3::Object"] },
            { field: "resources.ARN", startsWiths: ["arn:aws:s3:::fieldbook-backups-fra/"] },
          ],
        },
      ])(set(A.trail, "trail", "eventSelectors", undefined)(rs)),
    ["audit.logs"],
  ],
  ["aws-frankfurt", "no health check", drop(A.health), ["monitoring.uptime"]],
  ["aws-frankfurt", "no email subscription", drop(A.subscription), ["monitoring.alerts"]],
  // Self-hosted
  [
    "hetzner-nuremberg",
    "Postgres open to the internet",
    set(H.firewall, "firewall", "rules", [
      { direction: "in", protocol: "tcp", port: "5000-6000", sourceIps: ["0.0.0.0/0"] },
    ]),
    ["database.private"],
  ],
  ["hetzner-nuremberg", "no firewall", drop(H.firewall), ["database.private"]],
  [
    "hetzner-nuremberg",
    "backup timer missing",
    set(
      H.server,
      "app",
      "userData",
      `OnCalendar=${cronToOnCalendar(loadPosture("hetzner-nuremberg").drills.schedule)}`,
    ),
    ["backup.frequency"],
  ],
  [
    "hetzner-nuremberg",
    "server outside the allowed regions",
    set(H.server, "app", "location", "ash"),
    ["residency.region"],
  ],
];

const failing = (resources: Subject[], p: Posture) =>
  [...new Set(violations(evaluate(resources, p)).map((v) => v.claim))].sort();

describe("policy rules", () => {
  test.each(Object.keys({ "gcp-zurich": 1, "aws-frankfurt": 1, "hetzner-nuremberg": 1 }))(
    "the compliant %s fixture violates nothing",
    (w) => {
      const { resources, posture } = worlds[w as World];
      expect(violations(evaluate(resources, posture))).toEqual([]);
    },
  );

  test.each(CASES)("%s: %s", (w, _what, mutation, claims) => {
    const { resources, posture } = worlds[w];
    expect(failing(apply(resources, mutation), posture)).toEqual([...claims].sort());
  });

  test("every violation names its claim, resource property and a fix", () => {
    const { resources, posture } = worlds["aws-frankfurt"];
    const v = violations(
      evaluate(apply(resources, set(A.rolePolicy, "backup", "policy", doc(allow(["s3:*"])))), posture),
    );
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      claim: "backup.least-privilege",
      rule: "backup.least-privilege.aws-policy",
      resource: "backup-access",
      type: A.rolePolicy,
    });
    expect(v[0]?.message).toContain("s3:DeleteObject");
    expect(v[0]?.fix).toMatch(/PutObject/);
  });

  test("a stack that places nothing explicitly cannot prove residency", () => {
    const { posture } = worlds["gcp-zurich"];
    const v = violations(residencyAnything.check([], posture));
    expect(v.map((x) => [x.claim, x.rule])).toEqual([["residency.region", "residency.region.stack"]]);
  });

  test("every rule is exercised: it passes on a compliant fixture and some case makes it fail", () => {
    const passing = new Set<string>();
    for (const w of Object.values(worlds))
      for (const f of evaluate(w.resources, w.posture)) if (f.ok) passing.add(f.rule);
    const failed = new Set<string>();
    for (const [w, , m] of CASES)
      for (const v of violations(evaluate(apply(worlds[w].resources, m), worlds[w].posture)))
        failed.add(v.rule);
    for (const v of violations(residencyAnything.check([], worlds["gcp-zurich"].posture))) failed.add(v.rule);
    const applicable = RULES.filter((r) => Object.values(worlds).some((w) => ruleApplies(r, w.posture))).map(
      (r) => r.name,
    );
    expect(applicable.filter((r) => !passing.has(r))).toEqual([]);
    expect(applicable.filter((r) => !failed.has(r))).toEqual([]);
  });
});
