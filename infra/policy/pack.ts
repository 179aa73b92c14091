import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Posture } from "../../posture/index.ts";
import { checkResource, describeViolation, ruleApplies, violations } from "./evaluate.ts";
import type { Rule, Subject } from "./types.ts";

export type PolicyFor = ResourceValidationPolicy | StackValidationPolicy;

/**
 * Wrap a pure rule as a CrossGuard policy. Enforcement is mandatory: a claim the posture makes cannot
 * be waived by pack config; a claim it does not make reports "not applicable" instead.
 */
export function toPolicy(rule: Rule, postureOf: (urn: string) => Posture): PolicyFor {
  const base = {
    name: rule.name,
    description: `[${rule.claim}] ${rule.description}`,
    enforcementLevel: "mandatory" as const,
    tags: [rule.claim],
  };
  if (rule.kind === "resource")
    return {
      ...base,
      validateResource: (args, report) => {
        const p = postureOf(args.urn);
        if (!ruleApplies(rule, p)) args.notApplicable(`the posture does not promise ${rule.claim}`);
        const subject: Subject = { type: args.type, name: args.name, props: args.props };
        for (const v of violations(checkResource(rule, subject, p))) report(describeViolation(v));
      },
    };
  return {
    ...base,
    validateStack: (args, report) => {
      const first = args.resources[0];
      if (!first) return;
      const p = postureOf(first.urn);
      if (!ruleApplies(rule, p)) args.notApplicable(`the posture does not promise ${rule.claim}`);
      const urns = new Map(args.resources.map((r) => [r.name, r.urn]));
      for (const v of violations(rule.check(args.resources.map(toSubject), p)))
        report(describeViolation(v), v.resource === null ? undefined : urns.get(v.resource));
    },
  };
}

/** Stack policies see outputs; `id` is among them for most providers. */
const toSubject = (r: PolicyResource): Subject => {
  const id = typeof r.props.id === "string" ? r.props.id : undefined;
  return { type: r.type, name: r.name, props: r.props, ...(id ? { id } : {}) };
};
