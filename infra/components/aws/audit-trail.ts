import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Posture } from "../../../posture/index.ts";
import { objectsOf, type Statement } from "../../lib/iam.ts";
import { SecureBucket } from "../../lib/s3-bucket.ts";

export interface AuditTrailArgs {
  /** Region of the trail and its bucket (a single-region trail: the posture pins everything here). */
  region: string;
  /** Globally unique name of the trail's log bucket. */
  bucketName: string;
  /** The account id (CloudTrail writes under AWSLogs/<account>/). */
  accountId: pulumi.Input<string>;
  /** Key for the log files; its policy must grant cloudtrail.amazonaws.com GenerateDataKey*. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days the logs are locked and kept (posture monitoring.auditLogDays). */
  retentionDays: number;
  /** Buckets whose object reads and writes are recorded (S3 data events): backups, evidence, uploads. */
  dataEventBucketArns: pulumi.Input<string>[];
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** The settings of the trail's bucket: compliance-locked for the audit period, then expired. */
export function trailBucketSettings(retentionDays: number): Posture["buckets"]["backups"] {
  return {
    versioning: true,
    softDeleteDays: 7,
    objectLock: { mode: "compliance", days: retentionDays },
    lifecycle: {
      tiers: [],
      expireDays: retentionDays + 1,
      noncurrentExpireDays: 30,
      abortIncompleteUploadDays: 7,
    },
  };
}

/** Bucket policy statements CloudTrail needs, scoped to this trail (aws:SourceArn). */
export function cloudTrailWrites(
  bucketArn: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  trailArn: pulumi.Input<string>,
): Statement[] {
  const service = { Service: "cloudtrail.amazonaws.com" };
  const fromTrail = { StringEquals: { "aws:SourceArn": trailArn } };
  return [
    {
      Sid: "CloudTrailAclCheck",
      Effect: "Allow",
      Principal: service,
      Action: ["s3:GetBucketAcl"],
      Resource: [bucketArn],
      Condition: fromTrail,
    },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: service,
      Action: ["s3:PutObject"],
      Resource: [objectsOf(bucketArn, pulumi.interpolate`AWSLogs/${accountId}/`)],
      Condition: { StringEquals: { "aws:SourceArn": trailArn, "s3:x-amz-acl": "bucket-owner-full-control" } },
    },
  ];
}

/**
 * Advanced event selectors: every management event (IAM, KMS key use, Secrets Manager reads are
 * management events) plus S3 data events, reads and writes, on the given buckets' objects only.
 * The trail's own bucket is left out: logging its writes would log itself.
 */
export function auditEventSelectors(bucketArns: pulumi.Input<string>[]) {
  return [
    { name: "Management events", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
    {
      name: "S3 data events on the posture's buckets",
      fieldSelectors: [
        { field: "eventCategory", equals: ["Data"] },
        { field: "resources.type", equals: ["AWS::S3::Object"] },
        { field: "resources.ARN", startsWiths: bucketArns.map((arn) => pulumi.interpolate`${arn}/`) },
      ],
    },
  ];
}

/** A CloudTrail trail for the region: KMS-encrypted, log file validation on, into a compliance-locked bucket. */
export class AuditTrail extends pulumi.ComponentResource {
  readonly trailArn: pulumi.Output<string>;

  constructor(name: string, args: AuditTrailArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:AuditTrail", name, {}, opts);
    const { region } = args;
    const trailName = `${name}-trail`;
    // The ARN is derivable before the trail exists; the bucket policy must exist first.
    const trailArn = pulumi.interpolate`arn:aws:cloudtrail:${region}:${args.accountId}:trail/${trailName}`;
    const bucket = new SecureBucket(
      `${name}-logs`,
      {
        bucketName: args.bucketName,
        region,
        settings: trailBucketSettings(args.retentionDays),
        kmsKeyArn: args.kmsKeyArn,
        policy: (arn) => cloudTrailWrites(arn, args.accountId, trailArn),
        tags: args.tags ?? {},
      },
      { parent: this },
    );
    const trail = new aws.cloudtrail.Trail(
      trailName,
      {
        region,
        name: trailName,
        s3BucketName: bucket.name,
        kmsKeyId: args.kmsKeyArn,
        enableLogFileValidation: true,
        enableLogging: true,
        isMultiRegionTrail: false,
        includeGlobalServiceEvents: true,
        advancedEventSelectors: auditEventSelectors(args.dataEventBucketArns),
        tags: args.tags ?? {},
      },
      { parent: this, dependsOn: [bucket] },
    );
    this.trailArn = trail.arn;
    this.registerOutputs({ trailArn: this.trailArn });
  }
}
