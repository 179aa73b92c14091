import { z } from "zod";

/** Region pinning. Every located resource must be in `allowed`. */
export const regions = z.strictObject({
  /** Regions/locations the stack may place anything in (cloud region ids, e.g. "europe-west6", "nbg1"). */
  allowed: z.array(z.string().min(2)).min(1),
  /** Where workloads and the database run. Must be in `allowed`. */
  primary: z.string().min(2),
  /** Where the backup/evidence buckets live (e.g. AWS S3 next to a Hetzner VPS). @default primary */
  storage: z.string().min(2).optional(),
});
export type Regions = z.infer<typeof regions>;
