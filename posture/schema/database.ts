import { z } from "zod";
import { days } from "./common.ts";

export const database = z.strictObject({
  engine: z.literal("postgres").default("postgres"),
  /** PostgreSQL major version; the backup job's pg_dump must be at least this. */
  major: z.number().int().min(13).max(18).default(17),
  /** Name of the application database. */
  name: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default("app"),
  /** Point-in-time recovery window (WAL/transaction log retention). */
  pitrDays: days.max(35).default(7),
  /** Provider-managed automated backups, kept this many days. */
  backupRetentionDays: days.max(35).default(30),
  deletionProtection: z.boolean().default(true),
  /** Instance size in the provider's vocabulary (Cloud SQL tier, RDS class, Hetzner server type). */
  size: z.string().optional(),
  /** Weekly maintenance window: day 1 = Monday ... 7 = Sunday, hour in UTC. */
  maintenance: z
    .strictObject({
      day: z.number().int().min(1).max(7).default(7),
      hour: z.number().int().min(0).max(23).default(3),
    })
    .prefault({}),
});
