import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../scripts/lib/rotation/audit.ts";
import { STEPS } from "../../scripts/lib/secrets/types.ts";
import { runCli } from "../support/cli.ts";
import { type PasswordRotation, passwordRotation } from "../support/password-rotation.ts";
import { type AppCluster, appClient, type Credential, canLogin } from "../support/scram-cluster.ts";

const SECRET = "db-app";

describe("rotate: kill -9 after each step, then --resume", () => {
  let rotation: PasswordRotation;
  let app: AppCluster;
  let dir: string;
  let stack: string;
  beforeAll(async () => {
    rotation = await passwordRotation(SECRET, "rampart-rotate-resume-");
    ({ app, dir, stack } = rotation);
    const first = await runCli(["rotate", SECRET, "--stack", stack], env());
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    await app?.cluster.stop();
  });

  const env = (extra: Record<string, string> = {}) => ({
    RAMPART_ADMIN_DATABASE_URL: app.adminUrl,
    ...extra,
  });
  const cred = (stage?: "current" | "previous" | "pending") => rotation.credential(stage);
  const audit = (): (AuditEvent & { kind: string })[] => {
    const d = join(dir, "backups", "evidence", "rotation");
    return readdirSync(d).map((f) => JSON.parse(readFileSync(join(d, f), "utf8")));
  };
  const status = async () => {
    const r = await runCli(["rotate", "--status", "--json", "--stack", stack]);
    expect(r.code, r.stderr).toBe(0);
    return (
      JSON.parse(r.stdout) as {
        secrets: { secret: string; inProgress: { step: string; token: string } | null }[];
      }
    ).secrets[0];
  };

  for (const step of STEPS) {
    it(`crash after ${step}: resume completes once, old and new credentials behave`, async () => {
      const before = (await cred()) as Credential;
      const crashed = await runCli(
        ["rotate", SECRET, "--stack", stack],
        env({ RAMPART_ROTATE_CRASH_AFTER: step }),
      );
      expect(crashed.signal).toBe("SIGKILL");

      const s = await status();
      if (step === "finish") expect(s?.inProgress).toBeNull();
      else {
        expect(s?.inProgress?.step).toBe(step);
        // While interrupted, the current credential is untouched and still logs in.
        expect(await cred()).toEqual(before);
        expect(await canLogin(app, before)).toBe(true);
        // A new rotation is refused until this one is resumed.
        const refused = await runCli(["rotate", SECRET, "--stack", stack], env());
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/already in progress[\s\S]*--resume/);
      }
      const token = step === "finish" ? undefined : s?.inProgress?.token;

      const resumed = await runCli(["rotate", "--resume", "--stack", stack, "--json"], env());
      expect(resumed.code, resumed.stderr).toBe(0);
      const again = await runCli(["rotate", "--resume", "--stack", stack, "--json"], env());
      expect(JSON.parse(again.stdout).results[0].outcome).toBe("nothing-to-do");

      const after = (await cred()) as Credential;
      expect(after.username).not.toBe(before.username);
      expect(await cred("previous")).toEqual(before);
      expect(await cred("pending")).toBeUndefined();
      expect(await canLogin(app, after)).toBe(true);
      expect(await canLogin(app, before)).toBe(true);
      expect((await status())?.inProgress).toBeNull();

      // Every step recorded exactly once for this rotation's token, in order.
      const events = audit().filter((e) => e.rotationToken === (token ?? audit().at(-1)?.rotationToken));
      expect(events.map((e) => e.step).sort()).toEqual([...STEPS].sort());
      expect(
        events.every((e) => e.outcome === "ok" && e.secretName === SECRET && e.kind === "rotation"),
      ).toBe(true);
    });
  }

  it("a failed test step marks pending failed and leaves current working", async () => {
    const before = (await cred()) as Credential;
    const inactive = before.username === "app_a" ? "app_b" : "app_a";
    const admin = new pg.Client({ connectionString: app.adminUrl });
    await admin.connect();
    await admin.query(`alter role ${inactive} connection limit 0`);
    try {
      const r = await runCli(["rotate", SECRET, "--stack", stack, "--json"], env());
      expect(r.code).toBe(1);
      const result = JSON.parse(r.stdout).results[0];
      expect(result.outcome).toBe("failed");
      expect(result.reason).toMatch(/login as app_. failed/);
    } finally {
      await admin.query(`alter role ${inactive} connection limit -1`);
      await admin.end();
    }
    expect(await cred()).toEqual(before);
    expect(await canLogin(app, before)).toBe(true);
    expect(await cred("pending")).toBeUndefined();
    const failed = audit().filter((e) => e.outcome === "failed");
    expect(failed.at(-1)?.step).toBe("test");
    const history = await runCli(["rotate", "--history", SECRET, "--stack", stack, "--json"]);
    expect(JSON.parse(history.stdout).events.at(-1)).toMatchObject({
      step: "test",
      outcome: "failed",
      secretName: SECRET,
    });
    // The next rotation starts clean and succeeds.
    const ok = await runCli(["rotate", SECRET, "--stack", stack], env());
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("--all --now (leaked credential): rotates and revokes the old credential at once", async () => {
    const before = (await cred()) as Credential;
    // A session the old credential opened before the incident keeps running (the runbook terminates it).
    const session = appClient(app, before);
    await session.connect();
    try {
      const r = await runCli(["rotate", "--all", "--now", "--stack", stack, "--json"], env());
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).results).toMatchObject([{ secret: SECRET, outcome: "rotated" }]);
      expect(r.stderr).toMatch(/password was revoked/);
      const after = (await cred()) as Credential;
      expect(after.username).not.toBe(before.username);
      expect(await canLogin(app, after)).toBe(true);
      expect(await canLogin(app, before)).toBe(false);
      expect((await session.query("select 1 as one")).rows[0].one).toBe(1);
    } finally {
      await session.end();
    }
  });
});
