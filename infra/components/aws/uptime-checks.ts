import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allow, assumableBy, policyDocument, policyJson } from "../../lib/iam.ts";

/**
 * Route 53 publishes health-check metrics only in us-east-1, so the alarms on them must live there.
 * This is the one exception to region pinning in the AWS profile: the health checks are global control
 * plane, and the alarms and the forwarding rule hold no customer data (a health-check id and an alarm
 * state). infra/policy/rules/residency.ts recognises exactly these shapes; README.md ("AWS profile") explains it.
 */
export const ROUTE53_METRICS_REGION = "us-east-1";

export interface UptimeChecksArgs {
  /** The public host probed over HTTPS (posture edge.domain). */
  domain: string;
  /** Paths on the host (posture monitoring.uptime.paths). */
  paths: readonly string[];
  /** The posture's promised check period (monitoring.uptime.periodSeconds): alert after two of them. */
  periodSeconds: number;
  /** Region of the alert topic (posture regions.primary): alarm state changes are forwarded there. */
  region: string;
  /** The existing alert topic (in `region`); its policy and key must let EventBridge publish. */
  topicArn: pulumi.Input<string>;
  /** The account, to name the default event bus of `region`. */
  accountId: pulumi.Input<string>;
  /** Prefix of the alarm names (unique in the account), e.g. `rampart-<stack>`. */
  alarmPrefix: string;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/** `/healthz` → `healthz`, `/` → `root`: a path as a resource-name fragment. */
export const pathKey = (path: string) => path.replace(/^\/+|\/+$/g, "").replace(/\W+/g, "-") || "root";

/**
 * The HealthCheckStatus alarm window. Route 53 probes every 30 s (it allows 10 or 30), more often than
 * the posture promises; like the GCP profile, alert once the endpoint was down for two promised periods.
 */
export function uptimeAlarmWindow(periodSeconds: number) {
  return { period: 60, evaluationPeriods: Math.max(1, Math.round((2 * periodSeconds) / 60)) };
}

/** EventBridge pattern for state changes of the named CloudWatch alarms. */
export function alarmStatePattern(alarmNames: readonly string[]): Record<string, unknown> {
  return {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    detail: { alarmName: [...alarmNames] },
  };
}

/**
 * An HTTPS Route 53 health check per path, an alarm on each in us-east-1, and their state changes
 * forwarded through EventBridge to the alert topic in the posture's region (CloudWatch alarm actions can
 * only publish to a topic in the alarm's own region; this keeps one encrypted topic and one set of emails).
 */
export class UptimeChecks extends pulumi.ComponentResource {
  readonly healthCheckIds: pulumi.Output<string>[];

  constructor(name: string, args: UptimeChecksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:UptimeChecks", name, {}, opts);
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const metrics = ROUTE53_METRICS_REGION;
    const window = uptimeAlarmWindow(args.periodSeconds);
    const alarmNames: string[] = [];
    this.healthCheckIds = args.paths.map((path) => {
      const key = pathKey(path);
      // Global: no region input. Probed from Route 53's default checker regions (probe origins hold no data).
      const check = new aws.route53.HealthCheck(
        `${name}-${key}`,
        {
          type: "HTTPS",
          fqdn: args.domain,
          port: 443,
          resourcePath: path,
          enableSni: true,
          requestInterval: 30,
          failureThreshold: 3,
          tags: { ...tags, Name: `${args.domain}${path}` },
        },
        parent,
      );
      const alarmName = `${args.alarmPrefix}-uptime-${key}`;
      alarmNames.push(alarmName);
      new aws.cloudwatch.MetricAlarm(
        `${name}-${key}-alarm`,
        {
          region: metrics,
          name: alarmName,
          alarmDescription: `Down: https://${args.domain}${path}`,
          namespace: "AWS/Route53",
          metricName: "HealthCheckStatus",
          dimensions: { HealthCheckId: check.id },
          statistic: "Minimum",
          ...window,
          comparisonOperator: "LessThanThreshold",
          threshold: 1,
          // No data means the check is gone or disabled: nobody is watching, so that is an alert too.
          treatMissingData: "breaching",
          tags,
        },
        parent,
      );
      return check.id;
    });

    const pattern = JSON.stringify(alarmStatePattern(alarmNames));
    const bus = pulumi.interpolate`arn:aws:events:${args.region}:${args.accountId}:event-bus/default`;
    const forwarder = new aws.iam.Role(
      `${name}-forwarder`,
      { assumeRolePolicy: policyJson(assumableBy("events")), tags },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-forwarder-policy`,
      {
        role: forwarder.id,
        policy: policyJson(policyDocument(allow("PutToHomeBus", ["events:PutEvents"], [bus]))),
      },
      parent,
    );
    const outbound = new aws.cloudwatch.EventRule(
      `${name}-state-out`,
      { region: metrics, eventPattern: pattern, tags },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-state-out-target`,
      { region: metrics, rule: outbound.name, arn: bus, roleArn: forwarder.arn },
      parent,
    );
    const inbound = new aws.cloudwatch.EventRule(
      `${name}-state-in`,
      { region: args.region, eventPattern: pattern, tags },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-state-in-to-topic`,
      { region: args.region, rule: inbound.name, arn: args.topicArn },
      parent,
    );
    this.registerOutputs({ healthCheckIds: this.healthCheckIds });
  }
}
