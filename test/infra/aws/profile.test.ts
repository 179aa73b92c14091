import * as aws from "@pulumi/aws";
import { beforeAll, describe, expect, it } from "vitest";
import { isAllowedLocation } from "../../../infra/lib/regions.ts";
import { loadPosture } from "../../../posture/index.ts";
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
  it("pins every AWS resource with a region input to the allowed regions, and sets region on all regional ones", () => {
    const regional = rs.filter((r) => r.type.startsWith("aws:") && !r.type.startsWith("aws:iam/"));
    expect(regional.length).toBeGreaterThan(40);
    for (const r of regional) {
      expect(r.inputs.region, `${r.type} ${r.name}`).toBe("eu-central-1");
      expect(isAllowedLocation(posture.regions.allowed, r.inputs.region as string)).toBe(true);
    }
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
