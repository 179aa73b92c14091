import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlertTopicArgs, alertTopic } from "./alert-topic.ts";

/** The topic's region (also the alarms' and rules'), emails and key, plus what to watch. */
export interface AlarmsArgs extends AlertTopicArgs {
  /** RDS instance identifier to watch. */
  dbIdentifier: pulumi.Input<string>;
  /** Allocated storage in GiB, to alarm at 10 % free. */
  dbStorageGiB: number;
  /** Alarm when connections exceed this. @default 100 */
  dbMaxConnections?: number;
  /** ECS task definition families of the jobs: a stopped task with a non-zero exit code alerts. */
  jobFamilies: readonly string[];
}

/** EventBridge pattern: a job task stopped and its container did not exit 0. */
export function failedTaskPattern(families: readonly string[]): Record<string, unknown> {
  return {
    source: ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    detail: {
      lastStatus: ["STOPPED"],
      group: families.map((f) => `family:${f}`),
      containers: { exitCode: [{ "anything-but": 0 }] },
    },
  };
}

/** RDS alarms: CPU, free storage, connections. Threshold math is here so it is tested. */
export function rdsAlarmSpecs(storageGiB: number, maxConnections: number) {
  return [
    { role: "cpu", metricName: "CPUUtilization", comparisonOperator: "GreaterThanThreshold", threshold: 80 },
    {
      role: "storage",
      metricName: "FreeStorageSpace",
      comparisonOperator: "LessThanThreshold",
      threshold: Math.round(storageGiB * 1024 ** 3 * 0.1),
    },
    {
      role: "connections",
      metricName: "DatabaseConnections",
      comparisonOperator: "GreaterThanThreshold",
      threshold: maxConnections,
    },
  ] as const;
}

/** One SNS topic for every Rampart alert, with the posture's emails; RDS alarms; failed job tasks. */
export class Alarms extends pulumi.ComponentResource {
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rampart:aws:Alarms", name, {}, opts);
    const { region } = args;
    const tags = args.tags ?? {};
    const parent = { parent: this };
    const topicArn = alertTopic(name, args, parent);
    this.topicArn = topicArn;

    for (const spec of rdsAlarmSpecs(args.dbStorageGiB, args.dbMaxConnections ?? 100))
      new aws.cloudwatch.MetricAlarm(
        `${name}-rds-${spec.role}`,
        {
          region,
          namespace: "AWS/RDS",
          metricName: spec.metricName,
          dimensions: { DBInstanceIdentifier: args.dbIdentifier },
          statistic: "Average",
          period: 300,
          evaluationPeriods: 3,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          treatMissingData: "breaching",
          alarmActions: [topicArn],
          okActions: [topicArn],
          tags,
        },
        parent,
      );
    // A schedule that could not start its task at all (permissions, capacity, bad definition).
    new aws.cloudwatch.MetricAlarm(
      `${name}-job-start-failures`,
      {
        region,
        namespace: "AWS/Scheduler",
        metricName: "TargetErrorCount",
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
        tags,
      },
      parent,
    );
    // A job that started and failed (non-zero exit).
    const rule = new aws.cloudwatch.EventRule(
      `${name}-job-failures`,
      { region, eventPattern: JSON.stringify(failedTaskPattern(args.jobFamilies)), tags },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-job-failures-to-topic`,
      { region, rule: rule.name, arn: topicArn },
      parent,
    );
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
