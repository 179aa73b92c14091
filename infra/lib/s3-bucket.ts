import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ComponentResource } from "@pulumi/pulumi";
import type { ObjectLock, Posture } from "../../posture/index.ts";
import { denyInsecureTransport, policyDocument, policyJson, type Statement } from "./iam.ts";
import { transitions } from "./lifecycle.ts";

export type BucketSettings = Posture["buckets"]["backups"];
type Lifecycle = BucketSettings["lifecycle"];

export interface SecureBucketArgs {
  /** Globally unique bucket name (from the posture). */
  bucketName: string;
  /** AWS region the bucket and every side resource are pinned to. */
  region: string;
  /** Versioning, lifecycle and object lock from the posture's bucket section. */
  settings: BucketSettings;
  /** KMS key for SSE-KMS with a bucket key. @default SSE-S3 (AES256) when omitted */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Extra bucket-policy statements (deny delete except break-glass, deny bucket deletion, service
   * grants). The TLS-only deny is always included.
   * @default []
   */
  policy?: (bucketArn: pulumi.Output<string>) => Statement[];
  /** Refuse `pulumi destroy`/replacement of the bucket. @default true */
  protect?: boolean;
  /** Tags for the bucket. @default {} */
  tags?: Record<string, string>;
}

/** Lifecycle rules: tier transitions, expiry, noncurrent cleanup and aborted multipart uploads. */
export function lifecycleRules(l: Lifecycle): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "rampart-lifecycle",
      status: "Enabled",
      filter: {},
      transitions: transitions(l).map((t) => ({ days: t.afterDays, storageClass: t.s3 })),
      ...(l.expireDays === undefined ? {} : { expiration: { days: l.expireDays } }),
      noncurrentVersionExpiration: { noncurrentDays: l.noncurrentExpireDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: l.abortIncompleteUploadDays },
    },
  ];
}

/** S3 spells the posture's lock modes in upper case. */
export const objectLockRule = (lock: ObjectLock) => ({
  defaultRetention: { mode: lock.mode.toUpperCase(), days: lock.days },
});

/**
 * An S3 bucket with every side resource a posture promises: versioning, SSE (KMS + bucket key),
 * public access block, BucketOwnerEnforced, object lock, lifecycle and a TLS-only bucket policy.
 * Used by the AWS profile and by the self-hosted profile's S3 side.
 */
export class SecureBucket extends ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:SecureBucket", name, {}, opts);
    const { settings: s, region } = args;
    if (s.objectLock && !s.versioning)
      throw new Error(`SecureBucket ${name}: object lock requires versioning (posture check missed it)`);
    const parent = { parent: this };

    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: args.bucketName,
        region,
        objectLockEnabled: s.objectLock !== null,
        forceDestroy: false,
        tags: args.tags ?? {},
      },
      { parent: this, protect: args.protect ?? true },
    );
    const bucket = this.bucket.id;
    // S3 ARNs follow from the name: known at preview, so bucket policies are too.
    this.arn = pulumi.interpolate`arn:aws:s3:::${this.bucket.bucket}`;
    this.name = this.bucket.bucket;

    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, region, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    const publicBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket,
        region,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, region, versioningConfiguration: { status: s.versioning ? "Enabled" : "Suspended" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        region,
        rules: [
          args.kmsKeyArn
            ? {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.kmsKeyArn,
                },
                bucketKeyEnabled: true,
              }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      parent,
    );
    if (s.objectLock)
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket, region, rule: objectLockRule(s.objectLock) },
        { parent: this, dependsOn: [versioning] },
      );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket, region, rules: lifecycleRules(s.lifecycle) },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        region,
        policy: policyJson(
          policyDocument(denyInsecureTransport(this.arn), ...(args.policy?.(this.arn) ?? [])),
        ),
      },
      // The public access block must exist first, or S3 may evaluate the policy as public.
      { parent: this, dependsOn: [publicBlock, ownership] },
    );
    this.registerOutputs({ arn: this.arn, name: this.name });
  }
}
