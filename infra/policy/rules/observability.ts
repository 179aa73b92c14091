// monitoring.uptime, monitoring.alerts and audit.logs.
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { checker, ofType } from "../finding.ts";
import { at, num, records, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import { trailCoversBucket } from "../trail-coverage.ts";
import type { Finding, StackRule, Subject } from "../types.ts";

const T = {
  uptime: tokenOf(gcp.monitoring.UptimeCheckConfig),
  channel: tokenOf(gcp.monitoring.NotificationChannel),
  alertPolicy: tokenOf(gcp.monitoring.AlertPolicy),
  auditConfig: tokenOf(gcp.projects.IAMAuditConfig),
  logBucket: tokenOf(gcp.logging.ProjectBucketConfig),
  healthCheck: tokenOf(aws.route53.HealthCheck),
  subscription: tokenOf(aws.sns.TopicSubscription),
  alarm: tokenOf(aws.cloudwatch.MetricAlarm),
  trail: tokenOf(aws.cloudtrail.Trail),
} as const;

const stack = (
  claim: string,
  suffix: string,
  description: string,
  check: (rs: readonly Subject[], p: Parameters<StackRule["check"]>[1], rule: StackRule) => Finding[],
): StackRule => {
  const rule: StackRule = {
    kind: "stack",
    name: `${claim}.${suffix}`,
    claim,
    description,
    check: (rs, p) => check(rs, p, rule),
  };
  return rule;
};

export const uptimeChecks = stack(
  "monitoring.uptime",
  "checks",
  "an outside check for every posture uptime path",
  (rs, p, rule) => {
    const checks = [
      ...ofType(rs, T.uptime).map((r) => ({
        r,
        path: str(at(r.props, "httpCheck.path")),
        property: "httpCheck.path",
      })),
      ...ofType(rs, T.healthCheck).map((r) => ({
        r,
        path: str(r.props.resourcePath),
        property: "resourcePath",
      })),
    ];
    return p.monitoring.uptime.paths.map((path) => {
      const hit = checks.find((c) => c.path === path);
      return checker(rule, hit?.r ?? null)(
        hit?.property ?? `(uptime check ${path})`,
        hit?.path ?? null,
        hit !== undefined,
        {
          proves: `${path} is checked from outside`,
          problem: `no uptime check for ${path}`,
          fix: `add an uptime check for ${path} (gcp.monitoring.UptimeCheckConfig / aws.route53.HealthCheck)`,
        },
      );
    });
  },
);

export const alertRouting = stack(
  "monitoring.alerts",
  "routing",
  "alerts exist and reach every posture alert email",
  (rs, p, rule) => {
    const emails = [
      ...ofType(rs, T.channel)
        .filter((r) => r.props.type === "email")
        .map((r) => ({
          r,
          email: str(at(r.props, "labels.email_address")),
          property: "labels.email_address",
        })),
      ...ofType(rs, T.subscription)
        .filter((r) => r.props.protocol === "email")
        .map((r) => ({ r, email: str(r.props.endpoint), property: "endpoint" })),
    ];
    const policies = ofType(rs, T.alertPolicy, T.alarm);
    const out = p.monitoring.alertEmails.map((email) => {
      const hit = emails.find((e) => e.email === email);
      return checker(rule, hit?.r ?? null)(
        hit?.property ?? `(channel ${email})`,
        hit?.email ?? null,
        hit !== undefined,
        {
          proves: `alerts are sent to ${email}`,
          problem: `no notification channel for ${email}`,
          fix: `add an email notification channel / SNS email subscription for ${email}`,
        },
      );
    });
    out.push(
      checker(rule, null)("(alert policies)", policies.length, policies.length > 0, {
        proves: `${policies.length} alert policies`,
        problem: "no alert policy: nothing would page anyone",
        fix: "add alert policies (gcp.monitoring.AlertPolicy / aws.cloudwatch.MetricAlarm)",
      }),
    );
    return out;
  },
);

const DATA_ACCESS = ["ADMIN_READ", "DATA_READ", "DATA_WRITE"];
export const auditLogs = stack(
  "audit.logs",
  "on",
  "data-access audit logging on, kept for monitoring.auditLogDays",
  (rs, p, rule) => {
    const days = p.monitoring.auditLogDays;
    if (p.profile === "gcp") {
      const cfg = ofType(rs, T.auditConfig).find(
        (r) => r.props.service === "allServices" || r.props.service === "storage.googleapis.com",
      );
      const types = records(cfg?.props.auditLogConfigs).map((c) => str(c.logType));
      const buckets = ofType(rs, T.logBucket);
      const kept = Math.max(0, ...buckets.map((b) => num(b.props.retentionDays) ?? 0));
      const keeper = buckets.find((b) => num(b.props.retentionDays) === kept);
      return [
        checker(rule, cfg ?? null)(
          cfg ? "auditLogConfigs.logType" : "(IAMAuditConfig)",
          types,
          DATA_ACCESS.every((t) => types.includes(t)),
          {
            proves: `${String(cfg?.props.service)} logs ${DATA_ACCESS.join(", ")}`,
            problem: cfg
              ? `audit config logs only ${types.join(", ") || "nothing"}`
              : "no IAMAuditConfig: data-access logs are off",
            fix: `add gcp.projects.IAMAuditConfig { service: "allServices", auditLogConfigs: ${DATA_ACCESS.map((t) => `{ logType: "${t}" }`).join(", ")} }`,
          },
        ),
        checker(rule, keeper ?? null)(keeper ? "retentionDays" : "(log bucket)", kept || null, kept >= days, {
          proves: `audit logs kept ${kept} days`,
          problem: `audit logs kept ${kept || "the default 30"} days, fewer than the promised ${days}`,
          fix: `set retentionDays: ${days} on the log bucket (gcp.logging.ProjectBucketConfig)`,
        }),
      ];
    }
    const trails = ofType(rs, T.trail);
    const trail = trails.find((t) => t.props.enableLogging !== false);
    // The buckets whose object reads and writes the posture promises to log: backups and evidence.
    const buckets = [p.buckets.backups.name, p.buckets.evidence.name].filter((b) => b !== undefined);
    const uncovered = buckets.filter((b) => !trail || !trailCoversBucket(trail.props, b));
    const dataEvents = trail !== undefined && uncovered.length === 0;
    return [
      checker(rule, trail ?? trails[0] ?? null)(
        trail ? "enableLogging" : "(CloudTrail)",
        trail ? true : null,
        trail !== undefined,
        {
          proves: "CloudTrail records management events",
          problem: trails.length ? "the trail has logging disabled" : "no CloudTrail trail",
          fix: "add an aws.cloudtrail.Trail with enableLogging: true",
        },
      ),
      checker(rule, trail ?? null)("advancedEventSelectors", dataEvents, dataEvents, {
        proves: `S3 data events (object reads and writes) are recorded on ${buckets.join(", ")}`,
        problem: `S3 object reads and writes are not recorded on ${uncovered.join(", ")}`,
        fix: `add an advanced event selector { eventCategory: Data, resources.type: AWS::S3::Object, resources.ARN startsWith ${uncovered.map((b) => `arn:aws:s3:::${b}/`).join(", ")} } (no readOnly filter)`,
      }),
    ];
  },
);

export const OBSERVABILITY_RULES = [uptimeChecks, alertRouting, auditLogs];
