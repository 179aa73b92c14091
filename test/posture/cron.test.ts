import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { isCron, maxIntervalMinutes, nextRuns, parseCron } from "../../posture/cron.ts";

/** cron-parser (a widely used implementation) as the reference for what a schedule means. */
function reference(expr: string, from: Date, count: number): string[] {
  const it = CronExpressionParser.parse(expr, { currentDate: from, tz: "UTC" });
  return Array.from({ length: count }, () => it.next().toDate().toISOString());
}

const SCHEDULES = [
  "0 */4 * * *",
  "15 */6 * * *",
  "0 6 1 * *",
  "30 2 * * 0",
  "30 2 * * 7",
  "0 3 * * mon-fri",
  "0 3 * * MON,WED,FRI",
  "*/5 * * * *",
  "0 0 * jan,jul *",
  "0 0 1-7 * 1", // day-of-month OR day-of-week
  "0 0 13 * 5",
  "0 12 29 2 *", // leap days only
  "0 0 31 * *",
  "5-50/15 9-17 * * 1-5",
  "0 0/8 * * *",
  "0 1,13 * * *",
  "59 23 31 12 *",
  "0 0 * * 6,0",
  "0 4 */2 * *",
  "0 4 * */3 *",
  "7 7 ? * 3",
  "*/60 * * * *", // a step past the field's end: just its start
  "0 */24 * * *",
  "0 0 1 * 0-6", // both day fields restricted: either matches (here every day)
];

describe("cron", () => {
  it.each(SCHEDULES)("%s: the same runs as cron-parser", (expr) => {
    for (const from of [new Date("2026-01-01T00:00:00Z"), new Date("2027-02-27T23:59:30Z")]) {
      expect(nextRuns(expr, from, 60).map((d) => d.toISOString())).toEqual(reference(expr, from, 60));
    }
  });

  it("starts strictly after the given time, also when that time is itself a run", () => {
    const from = new Date("2026-03-01T04:00:00Z");
    expect(nextRuns("0 */4 * * *", from, 1)[0]?.toISOString()).toBe("2026-03-01T08:00:00.000Z");
    expect(reference("0 */4 * * *", from, 1)[0]).toBe("2026-03-01T08:00:00.000Z");
  });

  it.each([
    ["every 4h"],
    ["0 */4 * *"],
    ["0 */4 * * * *"],
    ["60 * * * *"],
    ["0 24 * * *"],
    ["0 0 0 * *"],
    ["0 0 32 * *"],
    ["0 0 * 13 *"],
    ["0 0 * * 8"],
    ["5-1 * * * *"],
    ["*/0 * * * *"],
    ["0 0 30 2 *"], // never runs
    ["0 0 L * *"],
    ["0 0 * * 1#2"],
    ["0 0 * foo *"],
  ])("refuses %j", (expr) => {
    expect(isCron(expr)).toBe(false);
  });

  it("accepts what the postures use", () => {
    for (const expr of SCHEDULES) expect(isCron(expr), expr).toBe(true);
  });

  it("expands fields for other schedulers (systemd), Sunday as 0", () => {
    expect(parseCron("0 */6 1,15 * 7")).toEqual({
      minute: [0],
      hour: [0, 6, 12, 18],
      dayOfMonth: [1, 15],
      month: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      dayOfWeek: [0],
      dayOfMonthAll: false,
      dayOfWeekAll: false,
    });
  });

  it("measures the longest gap a schedule leaves", () => {
    expect(maxIntervalMinutes("0 */4 * * *")).toBe(240);
    expect(maxIntervalMinutes("0 1,13 * * *")).toBe(720);
    expect(maxIntervalMinutes("0 3 * * mon-fri")).toBe(3 * 24 * 60);
  });
});
