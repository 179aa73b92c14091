// `make demo` end to end (node scripts/demo.ts), pointed at a throwaway copy of the local stack so the
// repository's .rampart/ is left alone. Run twice: the demo must be re-runnable and clean up its server.
import { spawn } from "node:child_process";
import { access, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EvidenceLog } from "../../scripts/lib/evidence.ts";
import { tempDir } from "./backup-support.ts";
import { type TestStack, writeTestStack } from "./restore-stack.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let dir: string | undefined;

function demo(stack: TestStack): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RAMPART_STACK: stack.file };
    delete env.DATABASE_URL;
    delete env.RAMPART_AGE_IDENTITY_FILE;
    const child = spawn(process.execPath, [join(ROOT, "scripts/demo.ts")], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("make demo", () => {
  it("loads the sample database, backs it up, drills it, prints the report — twice, cleaning up its server", async () => {
    dir = await tempDir("rampart-demo-");
    const stack = await writeTestStack(dir);
    for (const run of [1, 2]) {
      const { code, stdout, stderr } = await demo(stack);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stdout).toMatch(/demo: drill passed/);
      const report = /HTML report: (\S+\.html)/.exec(stdout)?.[1];
      expect(report).toBeDefined();
      const html = await readFile(report as string, "utf8");
      expect(html).toContain("PASSED");
      expect(html).toContain(`over the last ${run} drill`);
      const serverDir = /PostgreSQL \S+ in (\S+)/.exec(stdout)?.[1];
      expect(serverDir).toMatch(/rampart-pg-/);
      await expect(access(serverDir as string)).rejects.toThrow(/ENOENT/);
    }
    const drills = await (await EvidenceLog.open(stack.evidenceUrl)).list("drills");
    expect(drills.map((d) => d.outcome)).toEqual(["passed", "passed"]);
  });
});
