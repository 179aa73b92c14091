import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";

const CLI = new URL("../../../scripts/cli.ts", import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, RAMPART_STACK: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("rampart plan", () => {
  test("--json prints the inventory, every claim with its status and proof, and exits 0 on a compliant stack", () => {
    const r = run("plan", "--stack", "gcp-zurich", "--json");
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as {
      ok: boolean;
      resources: { type: string }[];
      claims: { id: string; status: string }[];
    };
    expect(plan.ok).toBe(true);
    expect(plan.resources.length).toBeGreaterThan(50);
    expect(plan.claims.find((c) => c.id === "storage.object-lock")?.status).toBe("proven");
    expect(plan.claims.find((c) => c.id === "backup.encrypted")?.status).toBe("evidence");
  }, 60_000);

  test("text output exits 1 and lists each violation with claim, resource and fix when a promise is not kept", () => {
    const r = run("plan", "--stack", "aws-frankfurt");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: \d+ violation/m);
    expect(r.stdout).toMatch(/\[audit\.logs\] \S+ \(aws:cloudtrail\/trail:Trail\) .*\n\s+fix: /);
  }, 60_000);

  test("a missing stack is a configuration error (exit 2)", () => {
    const r = run("plan", "--stack", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such stack file");
  });
});
