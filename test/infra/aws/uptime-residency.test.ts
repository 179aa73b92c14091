import * as aws from "@pulumi/aws";
import { describe, expect, it } from "vitest";
import {
  alarmStatePattern,
  pathKey,
  uptimeAlarmWindow,
} from "../../../infra/components/aws/uptime-checks.ts";
import { violations } from "../../../infra/policy/evaluate.ts";
import { residencyLocated } from "../../../infra/policy/rules/residency.ts";
import { tokenOf } from "../../../infra/policy/tokens.ts";
import type { Subject } from "../../../infra/policy/types.ts";
import { loadPosture } from "../../../posture/index.ts";

/** The us-east-1 exception of the residency rule matches the uptime trio by shape, and nothing else. */
const posture = loadPosture("aws-frankfurt");
const subject = (
  cls: Parameters<typeof tokenOf>[0],
  name: string,
  props: Record<string, unknown>,
): Subject => ({
  type: tokenOf(cls),
  name,
  props,
});
const check = (s: Subject) => residencyLocated.check(s, posture);
const homeBus = "arn:aws:events:eu-central-1:123456789012:event-bus/default";
const pattern = JSON.stringify(alarmStatePattern(["rampart-aws-frankfurt-uptime-healthz"]));

describe("residency: the Route 53 metrics exception", () => {
  it("accepts, and still reports, the health-check alarm and the forwarding rule and target in us-east-1", () => {
    const accepted = [
      subject(aws.cloudwatch.MetricAlarm, "a", { region: "us-east-1", namespace: "AWS/Route53" }),
      subject(aws.cloudwatch.EventRule, "r", { region: "us-east-1", eventPattern: pattern }),
      subject(aws.cloudwatch.EventTarget, "t", { region: "us-east-1", arn: homeBus }),
    ];
    for (const s of accepted) {
      const findings = check(s);
      expect(findings, s.name).toHaveLength(1);
      expect(findings[0]?.ok, s.name).toBe(true);
      expect(findings[0]?.message, s.name).toMatch(/accepted exception/);
    }
  });

  it("rejects anything else in us-east-1, and the same shapes in any other outside region", () => {
    const rejected = [
      subject(aws.cloudwatch.MetricAlarm, "rds-alarm", { region: "us-east-1", namespace: "AWS/RDS" }),
      subject(aws.cloudwatch.MetricAlarm, "r53-west", { region: "us-west-2", namespace: "AWS/Route53" }),
      subject(aws.cloudwatch.EventRule, "s3-events", {
        region: "us-east-1",
        eventPattern: JSON.stringify({ source: ["aws.s3"] }),
      }),
      subject(aws.cloudwatch.EventRule, "mixed", {
        region: "us-east-1",
        eventPattern: JSON.stringify({ source: ["aws.cloudwatch", "aws.s3"] }),
      }),
      subject(aws.cloudwatch.EventTarget, "to-us-bus", {
        region: "us-east-1",
        arn: "arn:aws:events:us-east-1:123456789012:event-bus/default",
      }),
      subject(aws.cloudwatch.EventTarget, "to-lambda", {
        region: "us-east-1",
        arn: "arn:aws:lambda:eu-central-1:123456789012:function:f",
      }),
      subject(aws.s3.Bucket, "bucket", { region: "us-east-1" }),
      subject(aws.sns.Topic, "topic", { region: "us-east-1" }),
    ];
    for (const s of rejected) expect(violations(check(s)).length, s.name).toBe(1);
  });
});

describe("uptime check helpers", () => {
  it("alerts after two of the posture's promised periods, in one-minute datapoints", () => {
    expect(uptimeAlarmWindow(60)).toEqual({ period: 60, evaluationPeriods: 2 });
    expect(uptimeAlarmWindow(300)).toEqual({ period: 60, evaluationPeriods: 10 });
    expect(uptimeAlarmWindow(900)).toEqual({ period: 60, evaluationPeriods: 30 });
  });

  it("names paths as resource-name fragments", () => {
    expect(pathKey("/healthz")).toBe("healthz");
    expect(pathKey("/api/v1/ready")).toBe("api-v1-ready");
    expect(pathKey("/")).toBe("root");
  });
});
