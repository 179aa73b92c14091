import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cronToOnCalendar } from "../../../infra/cloud-init/on-calendar.ts";
import { schedulerExpression } from "../../../infra/components/aws/schedule-expression.ts";
import { UserError } from "../../../posture/index.ts";

describe("cronToOnCalendar", () => {
  it.each([
    ["0 */4 * * *", "*-*-* 00/4:00:00 UTC"],
    ["0 6 1 * *", "*-*-01 06:00:00 UTC"],
    ["30 2 * * 1-5", "Mon..Fri *-*-* 02:30:00 UTC"],
    ["15 3 * * 0", "Sun *-*-* 03:15:00 UTC"],
    ["0 1,13 * * *", "*-*-* 01/12:00:00 UTC"],
    ["0 1,5,13 * * *", "*-*-* 01,05,13:00:00 UTC"],
    ["*/15 * * * *", "*-*-* *:00/15:00 UTC"],
    // Both day fields restricted: cron runs on either; day-of-week 0-6 is every day, so every day runs.
    ["0 0 1 * 0-6", "*-*-* 00:00:00 UTC"],
  ])("%s → %s", (cron, expected) => {
    expect(cronToOnCalendar(cron)).toBe(expected);
  });

  it("rejects what systemd cannot express, as a config error", () => {
    expect(() => cronToOnCalendar("0 6 1 * 1")).toThrow(UserError);
    expect(() => cronToOnCalendar("nope", "drills.schedule")).toThrow(/drills.schedule/);
  });

  it("produces values systemd itself accepts", () => {
    for (const cron of ["0 */4 * * *", "0 6 1 * *", "30 2 * * 1-5", "*/15 * * * *"]) {
      const out = execFileSync("systemd-analyze", ["calendar", cronToOnCalendar(cron)], { encoding: "utf8" });
      expect(out).toContain("Normalized form");
    }
  });
});

describe("schedulerExpression", () => {
  it("converts to EventBridge Scheduler cron with ? and 1-based weekdays", () => {
    expect(schedulerExpression("0 */4 * * *")).toBe("cron(0 */4 * * ? *)");
    expect(schedulerExpression("0 6 1 * *")).toBe("cron(0 6 1 * ? *)");
    expect(schedulerExpression("30 2 * * 1-5")).toBe("cron(30 2 ? * 2-6 *)");
    expect(schedulerExpression("0 3 * * 0,6")).toBe("cron(0 3 ? * 1,7 *)");
    expect(() => schedulerExpression("0 6 1 * 1")).toThrow(UserError);
  });
});
