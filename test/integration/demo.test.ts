// `make demo` end to end (node scripts/demo.ts), pointed at a throwaway copy of the local stack so the
// repository's .rampart/ is left alone. Run twice: the demo must be re-runnable and clean up its server.
import { access, readFile, rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { EvidenceLog } from "../../scripts/lib/evidence.ts";
import { runScript } from "../support/cli.ts";
import { type TestStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

let dir: string | undefined;

/** `make demo` on `stack`, with nothing of the caller's database or identity in its environment. */
const demo = (stack: TestStack) =>
  runScript("scripts/demo.ts", [], {
    RAMPART_STACK: stack.file,
    DATABASE_URL: undefined,
    RAMPART_AGE_IDENTITY_FILE: undefined,
  });

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("make demo", () => {
  it("loads the sample database, backs it up, drills it, prints the report — twice, cleaning up its server", async () => {
    dir = await tempDir("rampart-demo-");
    const stack = writeStackWithIdentity(dir);
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
