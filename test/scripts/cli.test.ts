import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { variant } from "../posture/fixtures.ts";

const CLI = new URL("../../scripts/cli.ts", import.meta.url).pathname;
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    env: { ...process.env, RAMPART_STACK: "" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe("rampart CLI", () => {
  test("--help lists the commands and documents the exit codes", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+posture \[options\]/m);
    expect(r.stdout).toContain("Exit codes:");
    expect(r.stdout).toMatch(/2\s+usage or configuration error/);
  });

  test("--version prints the package version", () => {
    const r = run("--version");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("posture --json prints the resolved posture and its claims on stdout", () => {
    const r = run("posture", "--stack", "gcp-zurich", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      posture: { profile: string; stores: { backups: string } };
      claims: { id: string; sentence: string }[];
    };
    expect(out.posture.profile).toBe("gcp");
    expect(out.posture.stores.backups).toBe("gs://numezis-backups-zrh/postgres");
    expect(out.claims.find((c) => c.id === "backup.frequency")?.sentence).toBe(
      "The Postgres database is backed up every 4 hours.",
    );
  });

  test("posture prints readable claims by default", () => {
    const r = run("posture", "--stack", "local");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[backup.frequency] The Postgres database is backed up every 4 hours.");
  });

  test("an invalid stack file exits 2 with file, key and fix on stderr, nothing on stdout", () => {
    const file = variant("gcp-zurich", ["backups", "schedule"], "every 4h");
    const r = run("posture", "--stack", file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `rampart: ${file}: rampart:posture.backups.schedule: "every 4h" is not a cron expression (e.g. "0 */4 * * *")\n`,
    );
  });

  test("an unknown stack exits 2 and lists the known stacks as a HINT", () => {
    const r = run("posture", "--stack", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such stack file\nHINT: known stacks: .*local/);
  });

  test("unknown options and commands are usage errors (exit 2)", () => {
    expect(run("posture", "--bogus").code).toBe(2);
    expect(run("frobnicate").code).toBe(2);
  });
});
