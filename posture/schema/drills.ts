import { z } from "zod";
import { cron, positiveInt } from "./common.ts";

export const verification = z.strictObject({
  /** Shown in the drill report. */
  name: z.string().min(1),
  /** A read-only query returning one row with one column. */
  sql: z.string().min(1),
  /** The value the query must return (compared as text). */
  expect: z.union([z.number(), z.string(), z.boolean()]).default(0),
});

export const drills = z.strictObject({
  /** When restore drills run (5-field cron, UTC). */
  schedule: cron("0 6 1 * *").default("0 6 1 * *"),
  /** Application checks run against the restored database. */
  verify: z.array(verification).default([]),
  /** Recovery time objective: drill start -> restored and verified. */
  rtoMinutes: positiveInt.default(60),
  /** Recovery point objective: age of the newest backup at drill start. */
  rpoMinutes: positiveInt.default(300),
  maxRuntimeMinutes: positiveInt.max(1440).default(180),
});
