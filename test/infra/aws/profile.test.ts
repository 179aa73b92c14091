import * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { alarmStatePattern, ROUTE53_METRICS_REGION } from "../../../infra/components/aws/uptime-checks.ts";
import { isAllowedLocation } from "../../../infra/lib/regions.ts";
import { loadPosture } from "../../../posture/index.ts";
import { inventoryJson } from "../../support/inventory.ts";
import { ofType, one, type Recorded, recordProgram, tokenOf } from "../../support/pulumi-mocks.ts";

type Doc = {
  Statement: {
    Sid: string;
    Effect: string;
    Action: string[];
    Resource?: string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }[];
};
/** The provider may receive the document as JSON text or (after the SDK decodes it) as an object. */
const parse = (r: Recorded, key = "policy"): Doc => {
  const v = r.inputs[key];
  return (typeof v === "string" ? JSON.parse(v) : JSON.parse(JSON.stringify(v))) as Doc;
};

const posture = loadPosture("aws-frankfurt");
let rs: Recorded[];

beforeAll(async () => {
  const { aws: build } = await import("../../../infra/profiles/aws.ts");
  rs = await recordProgram(() => build(posture), {
    stack: "aws-frankfurt",
    invokes: {
      "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId: "123456789012",
        arn: "arn:aws:iam::123456789012:root",
        userId: "x",
      }),
      "cloudflare:index/getZone:getZone": () => ({ zoneId: "zone-1", id: "zone-1" }),
    },
  });
}, 120_000);

describe("aws profile", () => {
  it("matches the committed inventory snapshot (secrets redacted)", async () => {
    await expect(inventoryJson(rs)).toMatchFileSnapshot("../__snapshots__/aws-frankfurt.inventory.json");
  });

  it("pins every regional AWS resource to the allowed regions, except the Route 53 metrics trio in us-east-1", () => {
    const global = /^aws:(iam|route53)\//;
    const regional = rs.filter((r) => r.type.startsWith("aws:") && !global.test(r.type));
    expect(regional.length).toBeGreaterThan(40);
    const outside = regional.filter((r) => r.inputs.region === ROUTE53_METRICS_REGION);
    expect(outside.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      `${tokenOf(aws.cloudwatch.EventRule)} uptime-state-out`,
      `${tokenOf(aws.cloudwatch.EventTarget)} uptime-state-out-target`,
      `${tokenOf(aws.cloudwatch.MetricAlarm)} uptime-healthz-alarm`,
    ]);
    for (const r of regional.filter((x) => !outside.includes(x))) {
      expect(r.inputs.region, `${r.type} ${r.name}`).toBe("eu-central-1");
      expect(isAllowedLocation(posture.regions.allowed, r.inputs.region as string)).toBe(true);
    }
  });

  it("checks every posture uptime path over HTTPS on the edge domain and alerts through the existing topic", () => {
    const checks = ofType(rs, tokenOf(aws.route53.HealthCheck));
    expect(checks.map((c) => c.inputs.resourcePath)).toEqual(posture.monitoring.uptime.paths);
    expect(checks[0]?.inputs).toMatchObject({
      type: "HTTPS",
      fqdn: "fieldbook.app",
      port: 443,
      enableSni: true,
      requestInterval: 30,
      failureThreshold: 3,
    });
    const alarm = one(rs, tokenOf(aws.cloudwatch.MetricAlarm), "uptime-healthz");
    expect(alarm.inputs).toMatchObject({
      region: "us-east-1",
      name: "rampart-aws-frankfurt-uptime-healthz",
      namespace: "AWS/Route53",
      metricName: "HealthCheckStatus",
      dimensions: { HealthCheckId: "uptime-healthz-id" },
      statistic: "Minimum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      period: 60,
      evaluationPeriods: 2,
      treatMissingData: "breaching",
    });
    // Alarm state changes leave us-east-1 for the home bus, where a rule hands them to the alert topic.
    const pattern = JSON.stringify(alarmStatePattern(["rampart-aws-frankfurt-uptime-healthz"]));
    expect(one(rs, tokenOf(aws.cloudwatch.EventRule), "uptime-state-out").inputs.eventPattern).toBe(pattern);
    expect(one(rs, tokenOf(aws.cloudwatch.EventRule), "uptime-state-in").inputs).toMatchObject({
      region: "eu-central-1",
      eventPattern: pattern,
    });
    const outTarget = one(rs, tokenOf(aws.cloudwatch.EventTarget), "uptime-state-out-target").inputs;
    expect(outTarget).toMatchObject({
      region: "us-east-1",
      arn: "arn:aws:events:eu-central-1:123456789012:event-bus/default",
    });
    // The forwarder role's ARN is unknown under the mocks (dry run); it must still be set.
    expect(outTarget).toHaveProperty("roleArn");
    const toTopic = one(rs, tokenOf(aws.cloudwatch.EventTarget), "uptime-state-in-to-topic").inputs;
    expect(toTopic.region).toBe("eu-central-1");
    expect(toTopic.arn).toBe(
      one(rs, tokenOf(aws.cloudwatch.EventTarget), "job-failures-to-topic").inputs.arn,
    );
    const forward = parse(one(rs, tokenOf(aws.iam.RolePolicy), "uptime-forwarder-policy"));
    expect(forward.Statement).toEqual([
      {
        Sid: "PutToHomeBus",
        Effect: "Allow",
        Action: ["events:PutEvents"],
        Resource: ["arn:aws:events:eu-central-1:123456789012:event-bus/default"],
      },
    ]);
  });

  it("CloudTrail records management events and S3 data events on the backups, evidence and uploads objects", () => {
    const selectors = one(rs, tokenOf(aws.cloudtrail.Trail)).inputs.advancedEventSelectors as {
      fieldSelectors: { field: string; equals?: string[]; startsWiths?: string[] }[];
    }[];
    expect(selectors[0]?.fieldSelectors).toEqual([{ field: "eventCategory", equals: ["Management"] }]);
    const data = selectors[1]?.fieldSelectors ?? [];
    expect(data).toContainEqual({ field: "eventCategory", equals: ["Data"] });
    expect(data).toContainEqual({ field: "resources.type", equals: ["AWS::S3::Object"] });
    const prefixes = data.find((f) => f.field === "resources.ARN")?.startsWiths ?? [];
    expect(prefixes).toHaveLength(3);
    for (const role of ["backups", "evidence", "uploads"]) {
      const bucket = one(rs, tokenOf(aws.s3.Bucket), role).inputs.bucket as string;
      expect(
        prefixes.some((p) => p.endsWith(`${bucket}/`)),
        role,
      ).toBe(true);
    }
    // The trail's own bucket is not logged (it would log its own writes).
    expect(prefixes.some((p) => p.includes("-trail"))).toBe(false);
    expect(selectors).toHaveLength(2);
  });

  it("creates encrypted, versioned, locked, private backups with the posture's lifecycle", () => {
    const b = one(rs, tokenOf(aws.s3.Bucket), "backups");
    expect(b.inputs).toMatchObject({ bucket: "fieldbook-backups-fra", objectLockEnabled: true });
    expect(one(rs, tokenOf(aws.s3.BucketVersioning), "backups").inputs.versioningConfiguration).toEqual({
      status: "Enabled",
    });
    const sse = one(rs, tokenOf(aws.s3.BucketServerSideEncryptionConfiguration), "backups").inputs.rules as {
      applyServerSideEncryptionByDefault: { sseAlgorithm: string };
      bucketKeyEnabled: boolean;
    }[];
    expect(sse[0]?.applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
    expect(sse[0]?.bucketKeyEnabled).toBe(true);
    expect(one(rs, tokenOf(aws.s3.BucketPublicAccessBlock), "backups").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(one(rs, tokenOf(aws.s3.BucketOwnershipControls), "backups").inputs.rule).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    expect(one(rs, tokenOf(aws.s3.BucketObjectLockConfiguration), "backups").inputs.rule).toEqual({
      defaultRetention: { mode: "GOVERNANCE", days: 30 },
    });
    expect(one(rs, tokenOf(aws.s3.BucketObjectLockConfiguration), "evidence").inputs.rule).toEqual({
      defaultRetention: { mode: "COMPLIANCE", days: 400 },
    });
    const [rule] = one(rs, tokenOf(aws.s3.BucketLifecycleConfiguration), "backups").inputs.rules as Record<
      string,
      unknown
    >[];
    expect(rule).toMatchObject({
      status: "Enabled",
      transitions: [
        { days: 30, storageClass: "STANDARD_IA" },
        { days: 90, storageClass: "GLACIER" },
      ],
      expiration: { days: 400 },
      noncurrentVersionExpiration: { noncurrentDays: 30 },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
    });
  });

  it("bucket policies deny non-TLS access and deletes by anyone but break-glass", () => {
    const doc = parse(one(rs, tokenOf(aws.s3.BucketPolicy), "backups"));
    const tls = doc.Statement.find((s) => s.Sid === "DenyInsecureTransport");
    expect(tls).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:*"],
      Condition: { Bool: { "aws:SecureTransport": false } },
    });
    const del = doc.Statement.find((s) => s.Sid === "DenyDeleteExceptBreakGlass");
    expect(del?.Effect).toBe("Deny");
    expect(del?.Action).toEqual(
      expect.arrayContaining(["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"]),
    );
    expect(del?.Condition?.ArnNotEquals?.["aws:PrincipalArn"]).toBe(
      "arn:aws:iam::123456789012:role/fieldbook-break-glass",
    );
    expect(doc.Statement.find((s) => s.Sid === "DenyBucketDeletion")?.Action).toContain("s3:DeleteBucket");
    // Uploads are TLS-only too but not delete-locked.
    const up = parse(one(rs, tokenOf(aws.s3.BucketPolicy), "uploads"));
    expect(up.Statement.map((s) => s.Sid)).toEqual(["DenyInsecureTransport"]);
  });

  it("job roles get the least-privilege documents (the ARNs are unknown under mocks; see job-access.test.ts)", () => {
    expect(one(rs, tokenOf(aws.iam.RolePolicy), "jobs-backup-policy").inputs.role).toBeDefined();
    expect(one(rs, tokenOf(aws.iam.RolePolicy), "jobs-drill-policy").inputs.role).toBeDefined();
  });

  it("RDS: CMK, TLS forced, IAM auth, PITR, deletion protection, managed rotated password, logs exported", () => {
    const db = one(rs, tokenOf(aws.rds.Instance));
    expect(db.inputs).toMatchObject({
      engine: "postgres",
      engineVersion: "17",
      instanceClass: "db.t4g.medium",
      storageEncrypted: true,
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: 14,
      deletionProtection: true,
      manageMasterUserPassword: true,
      publiclyAccessible: false,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    });
    expect(db.inputs.kmsKeyId).toBeTruthy();
    const params = one(rs, tokenOf(aws.rds.ParameterGroup)).inputs.parameters as {
      name: string;
      value: string;
    }[];
    expect(params).toContainEqual({ name: "rds.force_ssl", value: "1" });
    expect(one(rs, tokenOf(aws.secretsmanager.SecretRotation)).inputs.rotationRules).toEqual({
      automaticallyAfterDays: 30,
    });
  });

  it("holds the rotated age identity's published recipients as their own secret, apart from the identity", () => {
    const names = ofType(rs, tokenOf(aws.secretsmanager.Secret)).map((x) => x.inputs.name);
    expect(posture.secrets.recipientsSecret).toBe(`${posture.secrets.ageIdentity}-recipients`);
    expect(names).toEqual(
      expect.arrayContaining([posture.secrets.ageIdentity, posture.secrets.recipientsSecret]),
    );
  });

  it("KMS keys rotate; schedules follow the posture; alarms reach the posture's emails; trail is validated and encrypted", () => {
    for (const k of ofType(rs, tokenOf(aws.kms.Key)))
      expect(k.inputs).toMatchObject({ enableKeyRotation: true, rotationPeriodInDays: 90 });
    expect(one(rs, tokenOf(aws.scheduler.Schedule), "backup").inputs).toMatchObject({
      scheduleExpression: "cron(0 */4 * * ? *)",
      scheduleExpressionTimezone: "UTC",
    });
    expect(one(rs, tokenOf(aws.scheduler.Schedule), "drill").inputs.scheduleExpression).toBe(
      "cron(0 6 1 * ? *)",
    );
    expect(one(rs, tokenOf(aws.sns.TopicSubscription)).inputs).toMatchObject({
      protocol: "email",
      endpoint: "oncall@fieldbook.app",
    });
    const alarms = ofType(rs, tokenOf(aws.cloudwatch.MetricAlarm)).map((a) => a.inputs.metricName);
    expect(alarms).toEqual(
      expect.arrayContaining([
        "CPUUtilization",
        "FreeStorageSpace",
        "DatabaseConnections",
        "TargetErrorCount",
      ]),
    );
    expect(one(rs, tokenOf(aws.cloudtrail.Trail)).inputs).toMatchObject({
      enableLogFileValidation: true,
      isMultiRegionTrail: false,
    });
    expect(one(rs, tokenOf(aws.cloudtrail.Trail)).inputs.kmsKeyId).toBeTruthy();
    expect(one(rs, tokenOf(aws.s3.BucketObjectLockConfiguration), "audit").inputs.rule).toEqual({
      defaultRetention: { mode: "COMPLIANCE", days: 400 },
    });
  });
});
