import type { Finding, Rule, Subject } from "./types.ts";

export type Says = { proves: string; problem: string; fix: string };

/**
 * `expect(property, value, ok, says)` for one rule and one resource (null = the stack). Every check is
 * reported, pass or fail, so the plan can show what proves each claim.
 */
export function checker(rule: Pick<Rule, "name" | "claim">, r: Subject | null) {
  return (property: string, value: unknown, ok: boolean, says: Says): Finding => ({
    claim: rule.claim,
    rule: rule.name,
    resource: r?.name ?? null,
    type: r?.type ?? null,
    property,
    value: value === undefined ? null : value,
    ok,
    message: ok ? says.proves : says.problem,
    ...(ok ? {} : { fix: says.fix }),
  });
}

export const ofType = (rs: readonly Subject[], ...types: string[]) =>
  rs.filter((r) => types.includes(r.type));
