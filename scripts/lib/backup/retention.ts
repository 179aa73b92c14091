import type { Retention } from "../../../posture/schema/backups.ts";

/** What retention needs to know about a backup: its id and the point in time its data is from. */
export type Dated = { id: string; time: Date };

export type KeepReason = "newest" | "recent" | "daily" | "weekly" | "monthly";
export type RetentionPlan = {
  keep: { id: string; reasons: KeepReason[] }[];
  delete: string[];
};

const DAY = 86_400_000;
const dayKey = (d: Date) => d.toISOString().slice(0, 10);
const monthKey = (d: Date) => d.toISOString().slice(0, 7);
/** ISO-8601 week, e.g. 2026-W07 (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The period keys of the last `n` periods, the current one included, walking back from `now`. */
function lastPeriods(n: number, now: Date, key: (d: Date) => string, step: (d: Date) => Date): Set<string> {
  const out = new Set<string>();
  let d = now;
  while (out.size < n) {
    out.add(key(d));
    d = step(d);
  }
  return out;
}
const prevDay = (d: Date) => new Date(d.getTime() - DAY);
const prevWeek = (d: Date) => new Date(d.getTime() - 7 * DAY);
const prevMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 15));

/**
 * Grandfather-father-son selection (pure: no clock, no store). Periods are UTC calendar days, ISO weeks
 * and calendar months, the current one included: "daily: 30" keeps the newest backup of each of the
 * last 30 calendar days. Everything younger than keepAllHours is kept, and the newest backup always is,
 * even if it is older than every window (a stopped backup job must never lead to an empty store).
 */
export function planRetention(backups: readonly Dated[], r: Retention, now: Date): RetentionPlan {
  const sorted = [...backups].sort((a, b) => b.time.getTime() - a.time.getTime() || b.id.localeCompare(a.id));
  const reasons = new Map<string, KeepReason[]>();
  const keep = (id: string, why: KeepReason) => {
    const list = reasons.get(id) ?? [];
    list.push(why);
    reasons.set(id, list);
  };
  const newest = sorted[0];
  if (newest) keep(newest.id, "newest");
  for (const b of sorted)
    if (now.getTime() - b.time.getTime() < r.keepAllHours * 3_600_000) keep(b.id, "recent");

  const rule = (why: KeepReason, n: number, key: (d: Date) => string, step: (d: Date) => Date) => {
    if (n <= 0) return;
    const periods = lastPeriods(n, now, key, step);
    const seen = new Set<string>();
    // Newest first, so the first backup met in a period is that period's newest.
    for (const b of sorted) {
      const k = key(b.time);
      if (!periods.has(k) || seen.has(k) || b.time > now) continue;
      seen.add(k);
      keep(b.id, why);
    }
  };
  rule("daily", r.daily, dayKey, prevDay);
  rule("weekly", r.weekly, isoWeekKey, prevWeek);
  rule("monthly", r.monthly, monthKey, prevMonth);

  return {
    keep: sorted
      .filter((b) => reasons.has(b.id))
      .map((b) => ({ id: b.id, reasons: reasons.get(b.id) ?? [] })),
    delete: sorted.filter((b) => !reasons.has(b.id)).map((b) => b.id),
  };
}
