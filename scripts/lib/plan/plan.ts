import { locationsIn } from "../../../infra/lib/regions.ts";
import { evaluate, violations } from "../../../infra/policy/evaluate.ts";
import { RULES } from "../../../infra/policy/rules/index.ts";
import type { Finding, Subject, Violation } from "../../../infra/policy/types.ts";
import { CLAIMS, type Posture } from "../../../posture/index.ts";
import { offlineInvokes, offlineOutputs, stackConfig } from "./offline.ts";
import { type Recorded, recordProgram } from "./record.ts";

/**
 * proven: rules ran and every check passed. violated: a check failed. unproven: the claim is made and
 * infrastructure should prove it, but nothing in the stack does. evidence: the posture makes the claim
 * but this stack provisions nothing that proves it; the jobs' recorded evidence does (backup manifests,
 * drill records). not-applicable: the posture does not make the claim.
 */
export type ClaimStatus = "proven" | "violated" | "unproven" | "evidence" | "not-applicable";

export type InventoryItem = {
  type: string;
  name: string;
  region: string | null;
  /** The inputs the rules checked, with their values. */
  checked: Record<string, unknown>;
};

export type ClaimReport = {
  id: string;
  title: string;
  status: ClaimStatus;
  proofs: Finding[];
  violations: Violation[];
};

export type Plan = {
  stack: string;
  profile: Posture["profile"];
  file: string;
  resources: InventoryItem[];
  claims: ClaimReport[];
  violations: Violation[];
  /** True when no mandatory policy is violated and no infrastructure claim is left unproven. */
  ok: boolean;
};

const FAILING: readonly ClaimStatus[] = ["violated", "unproven"];

/** Evaluate the policy pack on recorded resources and map every claim of the catalog to its status. */
export function planResources(recorded: readonly Recorded[], p: Posture): Plan {
  const subjects: Subject[] = recorded.map((r) => ({
    type: r.type,
    name: r.name,
    id: r.id,
    props: r.inputs,
  }));
  const findings = evaluate(subjects, p);
  const claims = CLAIMS.map((c): ClaimReport => {
    const mine = findings.filter((f) => f.claim === c.id);
    const bad = violations(mine);
    const provable = c.proofs.some((x) => x.kind !== "evidence") && RULES.some((r) => r.claim === c.id);
    const status: ClaimStatus = !c.applies(p)
      ? "not-applicable"
      : bad.length
        ? "violated"
        : mine.length
          ? "proven"
          : c.proofs.some((x) => x.kind === "evidence") && (!provable || p.profile === "external")
            ? "evidence"
            : "unproven";
    return { id: c.id, title: c.title, status, proofs: mine.filter((f) => f.ok), violations: bad };
  });
  const resources = recorded
    .filter((r) => !r.type.startsWith("pulumi:providers:") || locationsIn(r.inputs).length > 0)
    .map((r): InventoryItem => {
      const checked = Object.fromEntries(
        findings.filter((f) => f.resource === r.name && f.type === r.type).map((f) => [f.property, f.value]),
      );
      return { type: r.type, name: r.name, region: locationsIn(r.inputs)[0] ?? null, checked };
    });
  const all = violations(findings);
  return {
    stack: p.source.stack,
    profile: p.profile,
    file: p.source.file,
    resources,
    claims,
    violations: all,
    ok: all.length === 0 && !claims.some((c) => FAILING.includes(c.status)),
  };
}

/** Run the stack's Pulumi program offline (mock runtime) and return every resource it registers. */
export async function recordStack(p: Posture): Promise<Recorded[]> {
  const { buildStack } = await import("../../../infra/stack.ts");
  return recordProgram(() => buildStack(p), {
    stack: p.source.stack,
    config: stackConfig(p),
    invokes: offlineInvokes(p),
    outputs: offlineOutputs,
  });
}

/** `rampart plan`: record the stack offline and check every claim. */
export async function planStack(p: Posture): Promise<Plan> {
  return planResources(await recordStack(p), p);
}
