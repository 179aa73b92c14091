import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ObjectLock, Posture } from "../../../posture/index.ts";
import { transitions } from "../../lib/lifecycle.ts";

type BucketPosture = Posture["buckets"]["backups"];
type LifecycleRule = { action: { type: string; storageClass?: string }; condition: Record<string, unknown> };

/**
 * GCS lifecycle rules from the posture: Standard → each tier at its day, delete current objects at
 * expireDays, expire noncurrent versions, abort stale multipart uploads. Pure, so it is unit-tested.
 */
export function gcsLifecycleRules(
  lifecycle: BucketPosture["lifecycle"],
  versioned: boolean,
): LifecycleRule[] {
  const rules: LifecycleRule[] = transitions(lifecycle).map((t) => ({
    action: { type: "SetStorageClass", storageClass: t.gcs },
    condition: { age: t.afterDays, withState: "LIVE" },
  }));
  if (lifecycle.expireDays !== undefined)
    rules.push({ action: { type: "Delete" }, condition: { age: lifecycle.expireDays, withState: "ANY" } });
  if (versioned)
    rules.push({
      action: { type: "Delete" },
      condition: { daysSinceNoncurrentTime: lifecycle.noncurrentExpireDays, withState: "ARCHIVED" },
    });
  rules.push({
    action: { type: "AbortIncompleteMultipartUpload" },
    condition: { age: lifecycle.abortIncompleteUploadDays },
  });
  return rules;
}

/**
 * The posture's object lock as a GCS bucket retention policy (Bucket Lock): compliance = locked
 * (irreversible, nobody can shorten it), governance = unlocked (a project owner can still remove it).
 */
export function gcsRetentionPolicy(lock: ObjectLock | null) {
  if (!lock) return undefined;
  return { retentionPeriod: String(lock.days * 86_400), isLocked: lock.mode === "compliance" };
}

export interface SecureBucketArgs {
  /** Globally unique bucket name. */
  bucketName: string;
  /** Region the bucket (and every object) lives in. A region, never a multi-region. Required. */
  location: string;
  /** The posture's settings for this bucket: versioning, lifecycle, object lock, soft delete. */
  bucket: BucketPosture;
  /** KMS key id every object is encrypted with by default (CMEK). */
  kmsKeyName: pulumi.Input<string>;
  /** Labels on the bucket. @default {} */
  labels?: Record<string, string>;
  /** Keep Pulumi from ever deleting the bucket (backups, evidence). @default true */
  protect?: boolean;
}

/**
 * A region-pinned, private, CMEK-encrypted bucket with lifecycle tiers and soft delete.
 * GCS refuses Object Versioning on a bucket with a retention policy; where the posture asks for a
 * lock, the retention policy (no overwrite, no delete for the whole period) replaces versioning.
 */
export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:gcp:SecureBucket", name, {}, opts);
    const { bucket: b } = args;
    const retentionPolicy = gcsRetentionPolicy(b.objectLock);
    const versioned = b.versioning && !retentionPolicy;
    this.bucket = new gcp.storage.Bucket(
      `${name}-bucket`,
      {
        name: args.bucketName,
        location: args.location.toUpperCase(),
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        encryption: { defaultKmsKeyName: args.kmsKeyName },
        versioning: { enabled: versioned },
        softDeletePolicy: { retentionDurationSeconds: b.softDeleteDays * 86_400 },
        lifecycleRules: gcsLifecycleRules(b.lifecycle, versioned),
        ...(retentionPolicy ? { retentionPolicy } : {}),
        forceDestroy: false,
        labels: args.labels ?? {},
      },
      { parent: this, protect: args.protect ?? true },
    );
    this.name = this.bucket.name;
    this.registerOutputs({ name: this.name });
  }
}
