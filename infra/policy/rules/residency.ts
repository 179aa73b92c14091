// residency.region: every placement input of every resource lies in posture.regions.allowed.
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import { isAllowedLocation, locationsIn } from "../../lib/regions.ts";
import { checker } from "../finding.ts";
import { at, json, list, str } from "../props.ts";
import { tokenOf } from "../tokens.ts";
import type { ResourceRule, StackRule, Subject } from "../types.ts";

/** Types whose location is required by Rampart: without one, GCP picks a multi-region (US). */
const MUST_BE_LOCATED = [tokenOf(gcp.storage.Bucket), tokenOf(gcp.kms.KeyRing)];

/**
 * The one accepted exception: Route 53 health checks are global and publish their metrics only in
 * us-east-1, so uptime alerting on AWS needs, there, an alarm on AWS/Route53 and an EventBridge rule
 * that forwards alarm state changes (aws.cloudwatch only) to an event bus in an allowed region. None of
 * them holds customer data. Matched by shape, never by name or tag, and still reported (as passing, with
 * the reason), so the plan shows the exception instead of hiding it. Returns why, or null.
 */
const ROUTE53_METRICS = "us-east-1";
const ALARM = tokenOf(aws.cloudwatch.MetricAlarm);
const EVENT_RULE = tokenOf(aws.cloudwatch.EventRule);
const EVENT_TARGET = tokenOf(aws.cloudwatch.EventTarget);
export function route53MetricsException(r: Subject, loc: string, allowed: readonly string[]): string | null {
  if (loc !== ROUTE53_METRICS) return null;
  if (r.type === ALARM && r.props.namespace === "AWS/Route53")
    return "a Route 53 health-check alarm: AWS publishes those metrics only in us-east-1 (no customer data)";
  if (r.type === EVENT_RULE) {
    const sources = list(at(json(r.props.eventPattern), "source"));
    if (sources.length === 1 && sources[0] === "aws.cloudwatch")
      return "forwards CloudWatch alarm state changes out of us-east-1 (no customer data)";
  }
  if (r.type === EVENT_TARGET) {
    const home = /^arn:aws[\w-]*:events:([a-z0-9-]+):\d*:event-bus\//.exec(str(r.props.arn) ?? "")?.[1];
    if (home && isAllowedLocation(allowed, home))
      return `sends alarm state changes to the event bus in ${home} (no customer data)`;
  }
  return null;
}

export const residencyLocated: ResourceRule = {
  kind: "resource",
  name: "residency.region.located",
  claim: "residency.region",
  description: "every located resource is placed in one of posture.regions.allowed",
  types: ["*"],
  check: (r, p) => {
    const expect = checker(residencyLocated, r);
    const found = locationsIn(r.props);
    if (!found.length && MUST_BE_LOCATED.includes(r.type))
      return [
        expect("location", null, false, {
          proves: "",
          problem: "no location: the provider would pick a multi-region outside the posture",
          fix: `set location: "${p.regions.storage}"`,
        }),
      ];
    return found.map((loc) => {
      const exception = route53MetricsException(r, loc, p.regions.allowed);
      return expect("location", loc, exception !== null || isAllowedLocation(p.regions.allowed, loc), {
        proves: exception ? `placed in ${loc}, the accepted exception: ${exception}` : `placed in ${loc}`,
        problem: `placed in "${loc}", outside regions.allowed [${p.regions.allowed.join(", ")}]`,
        fix: `place it in one of [${p.regions.allowed.join(", ")}] or add the region to rampart:posture.regions.allowed`,
      });
    });
  },
};

export const residencyAnything: StackRule = {
  kind: "stack",
  name: "residency.region.stack",
  claim: "residency.region",
  description: "the stack places its resources explicitly (at least one located resource)",
  check: (rs, p) => {
    const n = rs.filter((r) => locationsIn(r.props).length > 0).length;
    return [
      checker(residencyAnything, null)("(located resources)", n, n > 0, {
        proves: `${n} resources carry an explicit location`,
        problem: "no resource carries an explicit location; nothing proves where data lives",
        fix: `set the provider region (${p.regions.primary}) and each resource's location`,
      }),
    ];
  },
};

export const RESIDENCY_RULES = [residencyLocated, residencyAnything];
