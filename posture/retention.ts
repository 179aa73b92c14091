import type { Retention } from "./schema/backups.ts";

/** The oldest backup the GFS retention can keep, in days (months counted as 31 days). */
export function longestRetentionDays(r: Retention): number {
  return Math.max(Math.ceil(r.keepAllHours / 24), r.daily, r.weekly * 7, r.monthly * 31);
}

/** Human sentence fragment for the retention. */
export function describeRetention(r: Retention): string {
  const parts = [`every backup for ${r.keepAllHours} hours`];
  if (r.daily) parts.push(`one a day for ${r.daily} days`);
  if (r.weekly) parts.push(`one a week for ${r.weekly} weeks`);
  if (r.monthly) parts.push(`one a month for ${r.monthly} months`);
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}
