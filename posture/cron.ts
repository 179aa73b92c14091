import { CronExpressionParser } from "cron-parser";

/** Five-field Unix cron (minute hour day-of-month month day-of-week), UTC. */
export function isCron(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  try {
    CronExpressionParser.parse(expr, { tz: "UTC" });
    return true;
  } catch {
    return false;
  }
}

/** The next `count` run times after `from` (UTC). */
export function nextRuns(expr: string, from: Date, count: number): Date[] {
  const it = CronExpressionParser.parse(expr, { currentDate: from, tz: "UTC" });
  return Array.from({ length: count }, () => it.next().toDate());
}

/** Longest gap between consecutive runs over the next ~year: what "every N" really promises. */
export function maxIntervalMinutes(expr: string, from = new Date(Date.UTC(2026, 0, 1))): number {
  const runs = nextRuns(expr, from, 400);
  let max = 0;
  for (let i = 1; i < runs.length; i++) {
    max = Math.max(max, ((runs[i] as Date).getTime() - (runs[i - 1] as Date).getTime()) / 60_000);
  }
  return max;
}

const pad = (n: string) => n.padStart(2, "0");

/** A sentence fragment for a security page: "every 4 hours", "daily at 03:00 UTC", ... */
export function describeCron(expr: string): string {
  const [min, hour, dom, mon, dow] = expr.trim().split(/\s+/) as [string, string, string, string, string];
  const fixed = (s: string) => /^\d+$/.test(s);
  const step = (s: string) => /^\*\/(\d+)$/.exec(s)?.[1];
  if (dom === "*" && mon === "*" && dow === "*") {
    if (fixed(min) && step(hour)) return `every ${step(hour)} hours`;
    if (fixed(min) && hour === "*") return "every hour";
    if (step(min) && hour === "*") return `every ${step(min)} minutes`;
    if (fixed(min) && fixed(hour)) return `daily at ${pad(hour)}:${pad(min)} UTC`;
  }
  if (fixed(min) && fixed(hour) && mon === "*" && dow === "*" && fixed(dom)) {
    return `monthly on day ${dom} at ${pad(hour)}:${pad(min)} UTC`;
  }
  if (fixed(min) && fixed(hour) && dom === "*" && mon === "*" && fixed(dow)) {
    const day = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][
      Number(dow)
    ];
    return `weekly on ${day} at ${pad(hour)}:${pad(min)} UTC`;
  }
  return `on the schedule "${expr}" (UTC)`;
}
