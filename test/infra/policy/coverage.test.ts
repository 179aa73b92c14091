import { describe, expect, test } from "vitest";
import { RULES } from "../../../infra/policy/rules/index.ts";
import { CLAIMS } from "../../../posture/index.ts";

describe("no claim left unproven", () => {
  test("every claim proven by a resource or policy has at least one rule", () => {
    const enforced = CLAIMS.filter((c) => c.proofs.some((p) => p.kind === "resource" || p.kind === "policy"));
    expect(enforced.length).toBeGreaterThan(20);
    expect(enforced.filter((c) => !RULES.some((r) => r.claim === c.id)).map((c) => c.id)).toEqual([]);
  });

  test("every rule belongs to a catalog claim, carries the claim id in its name, and names are unique", () => {
    for (const r of RULES) {
      expect(
        CLAIMS.some((c) => c.id === r.claim),
        r.name,
      ).toBe(true);
      expect(r.name.startsWith(`${r.claim}.`), r.name).toBe(true);
    }
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
  });
});
