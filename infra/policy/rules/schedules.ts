// backup.frequency and drill.frequency: a scheduler fires the job exactly on the posture's cron.
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as hcloud from "@pulumi/hcloud";
import type { Posture } from "../../../posture/index.ts";
import { cronToOnCalendar } from "../../cloud-init/on-calendar.ts";
import { checker } from "../finding.ts";
import { str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { StackRule, Subject } from "../types.ts";

const T = {
  gcpScheduler: tokenOf(gcp.cloudscheduler.Job),
  awsSchedule: tokenOf(aws.scheduler.Schedule),
  awsEventRule: tokenOf(aws.cloudwatch.EventRule),
  server: tokenOf(hcloud.Server),
} as const;

/** Day-of-week numbers in a field, shifted: `shift(d)` for every digit at the start or after `,`/`-` (not step counts). */
const shiftDays = (field: string, shift: (d: number) => number) =>
  field.replace(/(^|[,-])(\d)/g, (_m, sep: string, d: string) => `${sep}${shift(Number(d))}`);

/**
 * Cron in a comparable form (posture numbering, Sunday = 0): AWS `cron(m h dom mon dow year)` loses the
 * year and `?` and its days shift back by one (AWS Sunday = 1); spaces collapse; Sunday 7 becomes 0.
 */
export function normalizeCron(expr: string): string {
  const inner = /^cron\((.*)\)$/.exec(expr.trim())?.[1];
  const fields = (inner ?? expr).trim().split(/\s+/);
  const five = fields.length === 6 ? fields.slice(0, 5) : fields;
  return five
    .map((f) => (f === "?" ? "*" : f))
    .map((f, i) => (i !== 4 ? f : shiftDays(f, inner === undefined ? (d) => d % 7 : (d) => (d + 6) % 7)))
    .join(" ");
}

type Found = { resource: Subject; property: string; value: string; matches: boolean };

/** Every schedule in the stack with whether it fires on `cron`. */
function schedulesFor(rs: readonly Subject[], cron: string): Found[] {
  const want = normalizeCron(cron);
  const onCalendar = `OnCalendar=${cronToOnCalendar(cron)}`;
  return rs.flatMap((r): Found[] => {
    if (r.type === T.gcpScheduler) {
      const v = str(r.props.schedule) ?? "";
      return [
        {
          resource: r,
          property: "schedule",
          value: v,
          matches:
            normalizeCron(v) === want && (str(r.props.timeZone) ?? "Etc/UTC").match(/^(Etc\/)?UTC$/) !== null,
        },
      ];
    }
    if (r.type === T.awsSchedule || r.type === T.awsEventRule) {
      const v = str(r.props.scheduleExpression) ?? "";
      const tz = str(r.props.scheduleExpressionTimezone) ?? "UTC";
      return [
        {
          resource: r,
          property: "scheduleExpression",
          value: v,
          matches: normalizeCron(v) === want && /^(Etc\/)?UTC$/.test(tz),
        },
      ];
    }
    if (r.type === T.server) {
      const data = str(r.props.userData) ?? "";
      return data.includes("OnCalendar=")
        ? [
            {
              resource: r,
              property: "userData (systemd timer)",
              value: onCalendar,
              matches: data.includes(onCalendar),
            },
          ]
        : [];
    }
    return [];
  });
}

function scheduleRule(claim: string, job: "backup" | "drill", cronOf: (p: Posture) => string): StackRule {
  const rule: StackRule = {
    kind: "stack",
    name: `${claim}.schedule`,
    claim,
    description: `a scheduler runs the ${job} job on the posture's cron (UTC)`,
    applies: (p) => p.profile !== "external",
    check: (rs, p) => {
      const cron = cronOf(p);
      const all = schedulesFor(rs, cron);
      const named = all.filter((s) => s.resource.name.includes(job) || s.resource.type === T.server);
      const hits = named.filter((s) => s.matches);
      if (hits.length)
        return hits.map((s) =>
          checker(rule, s.resource)(s.property, s.value, true, {
            proves: `the ${job} job runs on "${cron}" UTC`,
            problem: "",
            fix: "",
          }),
        );
      const wrong = named[0];
      return [
        checker(rule, wrong?.resource ?? null)(
          wrong?.property ?? `(${job} schedule)`,
          wrong?.value ?? null,
          false,
          {
            proves: "",
            problem: wrong
              ? `the ${job} schedule is "${wrong.value}", not the posture's "${cron}" (UTC)`
              : `no scheduler runs the ${job} job`,
            fix: `schedule the ${job} job with "${cron}" in UTC (a resource named *${job}*)`,
          },
        ),
      ];
    },
  };
  return rule;
}

export const backupSchedule = scheduleRule("backup.frequency", "backup", (p) => p.backups.schedule);
export const drillSchedule = scheduleRule("drill.frequency", "drill", (p) => p.drills.schedule);
export const SCHEDULE_RULES = [backupSchedule, drillSchedule];
