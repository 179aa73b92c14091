import { spawnSync } from "node:child_process";
import * as aws from "@pulumi/aws";
import { Command } from "commander";
import { describe, expect, test, vi } from "vitest";
import { register } from "../../../scripts/commands/plan.ts";

// The real program with one deliberately weakened resource added: a KMS key that never rotates.
vi.mock("../../../infra/stack.ts", async (real) => {
  const mod = await real<typeof import("../../../infra/stack.ts")>();
  return {
    ...mod,
    buildStack: async (...args: Parameters<typeof mod.buildStack>) => {
      const outputs = await mod.buildStack(...args);
      new aws.kms.Key("weakened-key", { enableKeyRotation: false, rotationPeriodInDays: 90 });
      return outputs;
    },
  };
});

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

  test("text output exits 1 and lists each violation with claim, resource and fix when a promise is not kept", async () => {
    // The shipped stacks keep every promise, so the program itself is weakened: the real AWS profile plus
    // one KMS key without rotation (see the vi.mock of infra/stack.ts above). The command runs in-process.
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    let code: number | undefined;
    const program = new Command().exitOverride();
    register(program, {
      action:
        (fn) =>
        async (...args) => {
          code = (await fn(...args)) ?? 0;
        },
    });
    try {
      await program.parseAsync(["plan", "--stack", "aws-frankfurt"], { from: "user" });
    } finally {
      write.mockRestore();
    }
    const stdout = out.join("");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAILED: 1 violation\(s\), 0 unproven claim\(s\)$/m);
    expect(stdout).toMatch(
      /^ {2}\[encryption\.key-rotation\] weakened-key \(aws:kms\/key:Key\) enableKeyRotation: automatic key rotation is off\n\s+fix: set enableKeyRotation: true$/m,
    );
  }, 60_000);

  test("a missing stack is a configuration error (exit 2)", () => {
    const r = run("plan", "--stack", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such stack file");
  });
});
