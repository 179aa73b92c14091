import { parseCron } from "../../posture/cron.ts";
import { UserError } from "../../posture/index.ts";

/**
 * Translate a 5-field cron expression (UTC, as in the posture) into a systemd `OnCalendar=` value, so
 * the self-hosted timers fire exactly when the posture says. posture/cron.ts expands each field (names,
 * ranges, steps); we then write the smallest systemd form: `*`, `start/step`, `a..b` or a list.
 */
export function cronToOnCalendar(expr: string, where = "backups.schedule"): string {
  const fields = parseCron(expr);
  if (!fields)
    throw new UserError(`${where}: "${expr}" is not a cron expression`, {
      hint: 'use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *" (no L, W or #)',
      exitCode: 2,
    });
  const { minute, hour, month } = fields;
  let dom = fields.dayOfMonth;
  let dow = fields.dayOfWeek;
  // cron runs on a day matching a restricted day-of-month OR a restricted day-of-week (posture/cron.ts);
  // systemd ANDs them. Equal only if one of them is unrestricted, or covers every day anyway.
  if (!fields.dayOfMonthAll && !fields.dayOfWeekAll) {
    if (dom.length < 31 && dow.length < 7)
      throw new UserError(
        `${where}: "${expr}" cannot be expressed as a systemd timer: day-of-month and day-of-week are both restricted`,
        { hint: "restrict one of them and leave the other `*`", exitCode: 2 },
      );
    [dom, dow] = [ALL_DAYS_OF_MONTH, ALL_DAYS_OF_WEEK]; // one of them matches every day: every day runs
  }
  const dowAll = dow.length === 7;

  const days = dowAll ? "" : `${compact(dow, 0, 6, (d) => DAY_NAMES[d] as string)} `;
  const date = `*-${compact(month, 1, 12, pad)}-${compact(dom, 1, 31, pad)}`;
  const time = `${compact(hour, 0, 23, pad)}:${compact(minute, 0, 59, pad)}:00`;
  return `${days}${date} ${time} UTC`;
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const ALL_DAYS_OF_MONTH = Array.from({ length: 31 }, (_, i) => i + 1);
const ALL_DAYS_OF_WEEK = [0, 1, 2, 3, 4, 5, 6];
const pad = (n: number) => String(n).padStart(2, "0");

/** Shortest systemd spelling of a sorted set of values within [min, max]. */
export function compact(
  values: readonly number[],
  min: number,
  max: number,
  show: (n: number) => string,
): string {
  const vs = [...values].sort((a, b) => a - b);
  const first = vs[0];
  if (first === undefined) throw new Error("a cron field expanded to no values");
  if (vs.length === max - min + 1) return "*";
  if (vs.length === 1) return show(first);
  const step = (vs[1] as number) - first;
  const evenlySpaced = vs.every((v, i) => v === first + i * step);
  if (evenlySpaced && step === 1) return `${show(first)}..${show(vs.at(-1) as number)}`;
  // `start/step` repeats to the end of the range, so it is exact only if the last value is the last step.
  if (evenlySpaced && (vs.at(-1) as number) + step > max && !show(first).match(/^[A-Z]/))
    return `${show(first)}/${step}`;
  return vs.map(show).join(",");
}
