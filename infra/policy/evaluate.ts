import { CLAIMS, type Posture } from "../../posture/index.ts";
import { RULES } from "./rules/index.ts";
import type { Finding, Rule, Subject, Violation } from "./types.ts";

/**
 * Whether a rule runs for this posture: its claim must be made (claim.applies), and the rule's own
 * condition must hold. By default a rule needs provisioned infrastructure (not the external profile);
 * edge rules run wherever an edge is configured.
 */
export function ruleApplies(rule: Rule, p: Posture): boolean {
  const claim = CLAIMS.find((c) => c.id === rule.claim);
  if (!claim) throw new Error(`rule ${rule.name} refers to unknown claim ${rule.claim}`);
  if (!claim.applies(p)) return false;
  if (rule.applies) return rule.applies(p);
  return p.profile !== "external" || rule.claim.startsWith("edge.");
}

export function checkResource(rule: Rule, r: Subject, p: Posture): Finding[] {
  if (rule.kind !== "resource") return [];
  if (!rule.types.includes("*") && !rule.types.includes(r.type)) return [];
  return rule.check(r, p);
}

/** Run every applicable rule over the stack's resources: per-resource rules on each, stack rules once. */
export function evaluate(
  resources: readonly Subject[],
  p: Posture,
  rules: readonly Rule[] = RULES,
): Finding[] {
  return rules
    .filter((rule) => ruleApplies(rule, p))
    .flatMap((rule) =>
      rule.kind === "stack" ? rule.check(resources, p) : resources.flatMap((r) => checkResource(rule, r, p)),
    );
}

export const violations = (fs: readonly Finding[]): Violation[] => fs.filter((f): f is Violation => !f.ok);

/** One line for CrossGuard and logs: `[claim] resource property: problem — fix: ...`. */
export function describeViolation(v: Violation): string {
  return `[${v.claim}] ${v.resource ?? "stack"} ${v.property}: ${v.message}${v.fix ? ` — fix: ${v.fix}` : ""}`;
}
