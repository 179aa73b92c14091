/**
 * Five-field Unix cron (minute hour day-of-month month day-of-week), UTC: numbers, names (jan-dec,
 * sun-sat), `*`, ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n`, and comma lists; 0 and 7 are Sunday.
 * When day-of-month and day-of-week are both restricted (neither written `*` or `?`), a day matching either
 * runs, as in cron-parser (Vixie cron also counts `*\/n` as unrestricted there). Written here rather
 * than loaded from cron-parser: that library and its Luxon cost every CLI run ~55 ms of start-up for
 * the posture's few schedules. Its answers are the test's reference (test/posture/cron.test.ts).
 */
export type CronFields = {
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  /** 0-6, Sunday 0 (a 7 is folded into 0). */
  dayOfWeek: number[];
  /** Whether the field was `*` (or `?`): cron's day rule depends on it. */
  dayOfMonthAll: boolean;
  dayOfWeekAll: boolean;
};

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

type Spec = { min: number; max: number; names?: readonly string[]; nameBase?: number };
const SPECS: readonly Spec[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function value(text: string, spec: Spec): number | null {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d{1,2}$/.test(text)) return null;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : null;
}

/** The values one field stands for, sorted; null when it is not valid cron. */
function expand(field: string, spec: Spec): number[] | null {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|\?|[0-9a-z]+(?:-[0-9a-z]+)?)(?:\/(\d+))?$/i.exec(part);
    if (!m) return null;
    const [, range = "", stepText] = m;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) return null;
    let lo: number | null;
    let hi: number | null;
    if (range === "*" || range === "?") [lo, hi] = [spec.min, spec.max];
    else {
      const [a = "", b] = range.split("-");
      lo = value(a, spec);
      // `a/n` runs from a to the end of the field; a plain value is just itself.
      hi = b !== undefined ? value(b, spec) : stepText !== undefined ? spec.max : lo;
    }
    if (lo === null || hi === null || lo > hi) return null;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((x, y) => x - y);
}

/** The expression's fields, expanded; null when it is not a five-field cron expression. */
export function parseCron(expr: string): CronFields | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const values = fields.map((f, i) => expand(f, SPECS[i] as Spec));
  const [minute, hour, dayOfMonth, month, dow] = values;
  if (!minute || !hour || !dayOfMonth || !month || !dow) return null;
  const all = (f: string) => f === "*" || f === "?";
  return {
    minute,
    hour,
    dayOfMonth,
    month,
    dayOfWeek: [...new Set(dow.map((d) => d % 7))].sort((x, y) => x - y),
    dayOfMonthAll: all(fields[2] as string),
    dayOfWeekAll: all(fields[4] as string),
  };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far to look for the next run: a schedule with none in 28 years (a full leap cycle) has no more. */
const HORIZON_DAYS = 366 * 28;

function dayMatches(c: CronFields, day: Date): boolean {
  if (!c.month.includes(day.getUTCMonth() + 1)) return false;
  const dom = c.dayOfMonth.includes(day.getUTCDate());
  const dow = c.dayOfWeek.includes(day.getUTCDay());
  if (c.dayOfMonthAll) return dow;
  if (c.dayOfWeekAll) return dom;
  return dom || dow;
}

/** The next `count` run times strictly after `from` (UTC); fewer only if the schedule runs out. */
function runsAfter(c: CronFields, from: Date, count: number): Date[] {
  const runs: Date[] = [];
  const after = from.getTime();
  let day = Math.floor(after / DAY) * DAY;
  for (let idle = 0; idle < HORIZON_DAYS && runs.length < count; idle++, day += DAY) {
    if (!dayMatches(c, new Date(day))) continue;
    idle = 0;
    for (const h of c.hour)
      for (const m of c.minute) {
        const t = day + h * 60 * MINUTE + m * MINUTE;
        if (t > after && runs.length < count) runs.push(new Date(t));
      }
  }
  return runs;
}

/** Five-field Unix cron (minute hour day-of-month month day-of-week), UTC, that ever runs. */
export function isCron(expr: string): boolean {
  const c = parseCron(expr);
  return c !== null && runsAfter(c, new Date(Date.UTC(2026, 0, 1)), 1).length === 1;
}

/** The next `count` run times after `from` (UTC). */
export function nextRuns(expr: string, from: Date, count: number): Date[] {
  const c = parseCron(expr);
  if (!c) throw new Error(`not a cron expression: "${expr}"`);
  return runsAfter(c, from, count);
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
