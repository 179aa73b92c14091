import { z } from "zod";

export const encryption = z.strictObject({
  /** Customer-managed key rotation period. Providers accept 1..(GCP: any, AWS: 90..2560) days. */
  kmsRotationDays: z.number().int().min(1).max(365).default(90),
  /** Use customer-managed keys (CMEK/CMK) for databases, buckets, secrets, logs. */
  customerManagedKeys: z.boolean().default(true),
});
