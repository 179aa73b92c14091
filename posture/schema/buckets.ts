import { z } from "zod";
import { days } from "./common.ts";

/** Provider-neutral storage tiers; infra maps them (GCS NEARLINE/COLDLINE/ARCHIVE, S3 STANDARD_IA/GLACIER/DEEP_ARCHIVE). */
export const TIERS = ["infrequent", "cold", "archive"] as const;
export type Tier = (typeof TIERS)[number];

const lifecycle = z.strictObject({
  /** Transitions to colder tiers, in order, with strictly increasing days. */
  tiers: z.array(z.strictObject({ tier: z.enum(TIERS), afterDays: days })).default([]),
  /** Delete current objects this many days after creation. Omit to keep forever. */
  expireDays: days.optional(),
  /** Delete noncurrent (overwritten/deleted) versions this many days after they became noncurrent. */
  noncurrentExpireDays: days.default(30),
  /** Abort incomplete multipart uploads after this many days. */
  abortIncompleteUploadDays: days.default(7),
});

export const bucket = z.strictObject({
  /** Globally unique bucket name. Required for cloud profiles. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
      message: "must be a DNS-style bucket name (a-z, 0-9, '-', '.')",
    })
    .optional(),
  versioning: z.boolean().default(true),
  lifecycle: lifecycle.prefault({}),
  /**
   * WORM retention: S3 object lock / GCS bucket retention policy. null = none (only sensible for uploads).
   * @default backups: governance for backups.retention.daily days; evidence: governance for monitoring.auditLogDays
   */
  objectLock: z
    .strictObject({ mode: z.enum(["governance", "compliance"]).default("governance"), days: days })
    .nullable()
    .optional(),
  /** GCS soft delete window. */
  softDeleteDays: days.max(90).default(7),
});
export type Bucket = z.infer<typeof bucket>;

export const buckets = z.strictObject({
  backups: bucket.prefault({}),
  evidence: bucket.prefault({}),
  uploads: bucket.nullable().default(null),
});
