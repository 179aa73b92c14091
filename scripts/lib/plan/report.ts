import { table } from "../output.ts";
import type { ClaimStatus, Plan } from "./plan.ts";

const MARK: Record<ClaimStatus, string> = {
  proven: "PROVEN",
  violated: "VIOLATED",
  unproven: "UNPROVEN",
  evidence: "EVIDENCE",
  "not-applicable": "n/a",
};

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The plan for people: inventory, each claim with its proof, then every violation with its fix. */
export function renderPlan(plan: Plan): string {
  const inventory = table([
    ["TYPE", "NAME", "REGION", "CHECKED INPUTS"],
    ...plan.resources.map((r) => [
      r.type,
      r.name,
      r.region ?? "-",
      Object.entries(r.checked)
        .map(([k, v]) => `${k}=${show(v)}`)
        .join(" "),
    ]),
  ]);
  const claims = plan.claims.map((c) => {
    const head = `${MARK[c.status].padEnd(8)} ${c.id} — ${c.title}`;
    const lines =
      c.status === "evidence"
        ? ["    proven by the jobs' recorded evidence, not by this stack's resources"]
        : c.proofs.map((f) => `    ${f.resource ?? "stack"} ${f.property} = ${show(f.value)}: ${f.message}`);
    return [head, ...lines].join("\n");
  });
  const violations = plan.violations.map(
    (v) =>
      `  [${v.claim}] ${v.resource ?? "stack"} (${v.type ?? "stack"}) ${v.property}: ${v.message}\n      fix: ${v.fix ?? "-"}`,
  );
  const unproven = plan.claims
    .filter((c) => c.status === "unproven")
    .map((c) => `  [${c.id}] nothing in the stack proves it`);
  return [
    `rampart plan — stack ${plan.stack} (${plan.profile}), ${plan.file}`,
    "",
    `Resources (${plan.resources.length}):`,
    inventory,
    "",
    "Claims:",
    ...claims,
    "",
    plan.ok
      ? "OK: every claim the posture makes is proven or not applicable."
      : `FAILED: ${plan.violations.length} violation(s), ${unproven.length} unproven claim(s)`,
    ...violations,
    ...unproven,
  ].join("\n");
}
