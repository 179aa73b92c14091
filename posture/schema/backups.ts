import { z } from "zod";
import { cron, positiveInt, storeUrl } from "./common.ts";

/** An age X25519 recipient (public key). The backup job never holds an identity. */
export const ageRecipient = z.string().regex(/^age1[02-9ac-hj-np-z]{58}$/, {
  message:
    'is not an age X25519 recipient (a public key like "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")',
});

/** Grandfather-father-son retention. */
export const retention = z.strictObject({
  /** Keep every backup younger than this. */
  keepAllHours: positiveInt.max(24 * 14).default(48),
  /** Keep the newest backup of each of the last N days. */
  daily: z.number().int().min(0).max(3650).default(30),
  /** Keep the newest backup of each of the last N ISO weeks. */
  weekly: z.number().int().min(0).max(520).default(0),
  /** Keep the newest backup of each of the last N months. */
  monthly: z.number().int().min(0).max(240).default(12),
});
export type Retention = z.infer<typeof retention>;

export const backups = z.strictObject({
  /** When the backup job runs (5-field cron, UTC). */
  schedule: cron("0 */4 * * *").default("0 */4 * * *"),
  /** Where backups go. @default derived from buckets.backups.name for cloud profiles */
  store: storeUrl.optional(),
  compression: z
    .strictObject({
      algorithm: z.enum(["zstd", "gzip", "none"]).default("zstd"),
      /**
       * zstd 1-19, gzip 1-9. @default 1: the job runs beside production every few hours, and CPU it takes
       * is CPU the database does not get. zstd 1 costs ~30% less CPU than 3 for 1-13% more bytes, and is
       * still ~half the size of pg_dump's own gzip -9 (BACKUP.md, "Performance").
       */
      level: z.number().int().min(1).max(19).default(1),
    })
    .prefault({}),
  /** age recipients (public keys) every backup is encrypted to. Keep at least one identity offline. */
  recipients: z.array(ageRecipient).min(1, { message: "at least one age recipient is required" }),
  retention: retention.prefault({}),
  /** A dump smaller than this is treated as a failure (implausibly small). */
  minDumpBytes: positiveInt.default(1024),
  /** Sentry Crons: alert when a run starts later than this after its slot. */
  checkinMarginMinutes: positiveInt.max(1440).default(15),
  /** Sentry Crons: alert when a run takes longer than this. */
  maxRuntimeMinutes: positiveInt.max(1440).default(120),
});
