import { describe, expect, test } from "vitest";
import { schedulerExpression } from "../../../infra/components/aws/schedule-expression.ts";
import { normalizeCron } from "../../../infra/policy/rules/schedules.ts";

describe("normalizeCron", () => {
  test.each(["0 3 * * 1", "15 */4 * * 1-5", "0 2 * * 0,6", "0 2 * * 7", "0 */4 * * *", "0 3 1 * *"])(
    "the EventBridge expression for %s compares equal to the posture cron (AWS counts Sunday as 1)",
    (cron) => {
      expect(normalizeCron(schedulerExpression(cron))).toBe(normalizeCron(cron));
    },
  );

  test("a different day of the week still differs", () => {
    expect(normalizeCron("cron(0 3 ? * 2 *)")).toBe("0 3 * * 1");
    expect(normalizeCron("cron(0 3 ? * 1 *)")).not.toBe(normalizeCron("0 3 * * 1"));
  });
});
