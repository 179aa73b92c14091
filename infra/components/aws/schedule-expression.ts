import { isCron, UserError } from "../../../posture/index.ts";

/**
 * Posture cron (5 fields, UTC, Sunday = 0 or 7) → EventBridge Scheduler `cron(...)` (6 fields, one of
 * day-of-month/day-of-week must be `?`, Sunday = 1). Use with scheduleExpressionTimezone "UTC".
 */
export function schedulerExpression(expr: string, where = "backups.schedule"): string {
  const fail = (why: string) =>
    new UserError(`${where}: "${expr}" ${why}`, {
      hint: 'use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *"',
      exitCode: 2,
    });
  if (!isCron(expr)) throw fail("is not a cron expression");
  const [min, hour, dom, mon, dow] = expr.trim().split(/\s+/) as [string, string, string, string, string];
  if (dom !== "*" && dow !== "*")
    throw fail("restricts both day-of-month and day-of-week, which EventBridge Scheduler cannot express");
  // Day numbers shift by one (cron 0/7 = Sunday → 1); step values after "/" are counts, not days.
  const eventBridgeDow = dow.replace(
    /(^|[,-])(\d)/g,
    (_m, sep: string, d: string) => `${sep}${(Number(d) % 7) + 1}`,
  );
  return dow === "*"
    ? `cron(${min} ${hour} ${dom} ${mon} ? *)`
    : `cron(${min} ${hour} ? ${mon} ${eventBridgeDow} *)`;
}
