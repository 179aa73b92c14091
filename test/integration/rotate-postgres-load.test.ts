import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { type PasswordRotation, passwordRotation } from "../support/password-rotation.ts";
import { pgbenchTotals, reconnectingClients, startPgbench } from "../support/pg-load.ts";
import { type AppCluster, type Credential, canLogin } from "../support/scram-cluster.ts";

const SECRET = "db-app";
const ROTATIONS = 10;
const PGBENCH_SECONDS = 90;

describe("postgres-password rotation under load (alternating users)", () => {
  let rotation: PasswordRotation;
  let app: AppCluster;
  let dir: string;
  let stack: string;
  beforeAll(async () => {
    rotation = await passwordRotation(SECRET, "rampart-rotate-pg-");
    ({ app, dir, stack } = rotation);
  });
  afterAll(async () => {
    await app?.cluster.stop();
  });

  const env = () => ({ RAMPART_ADMIN_DATABASE_URL: app.adminUrl });
  const current = async () => (await rotation.credential()) as Credential;

  it(`rotates ${ROTATIONS} times while pgbench and reconnecting clients run: zero failed transactions`, {
    timeout: 400_000,
  }, async () => {
    const first = await runCli(["rotate", SECRET, "--stack", stack, "--json"], env());
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.code).toBe(0);
    const start = await current();
    expect(start.username).toBe("app_a");
    expect(await canLogin(app, start)).toBe(true);

    // pgbench: 4 long-lived sessions authenticated with the credential current at start.
    const pgbench = startPgbench(app, start, PGBENCH_SECONDS, dir);
    // Reconnecting clients: read the CURRENT credential from the store before every connection.
    const clients = reconnectingClients(app, current, 2);
    const counts = clients.tally;

    const seen: Credential[] = [start];
    const outputs: string[] = [first.stdout, first.stderr];
    for (let i = 0; i < ROTATIONS; i++) {
      const r = await runCli(["rotate", SECRET, "--stack", stack], env());
      outputs.push(r.stdout, r.stderr);
      expect(r.code, r.stderr).toBe(0);
      seen.push(await current());
    }
    const benchStillRunning = pgbench.running();
    await clients.stop();
    expect(
      benchStillRunning,
      `pgbench (-T ${PGBENCH_SECONDS}) ended before the ${ROTATIONS} rotations did; raise PGBENCH_SECONDS`,
    ).toBe(true);
    expect(await pgbench.done).toBe(0);

    const { processed, failed } = pgbenchTotals(pgbench.output());
    expect(processed).toBeGreaterThan(0);
    expect(failed).toBe(0);
    expect(counts.errors).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(counts.ok).toBeGreaterThan(0);
    console.info(
      `pgbench: ${processed} transactions, ${failed} failed; reconnecting clients: ${counts.ok} ok, ${counts.failed} failed`,
    );

    // Roles alternate; current and previous log in, the one from two rotations ago does not.
    const names = seen.map((c) => c.username);
    expect(names).toEqual(names.map((_, i) => (i % 2 === 0 ? "app_a" : "app_b")));
    const last = seen.at(-1) as Credential;
    expect(await rotation.credential("previous")).toEqual(seen.at(-2));
    expect(await canLogin(app, last)).toBe(true);
    expect(await canLogin(app, seen.at(-2) as Credential)).toBe(true);
    expect(await canLogin(app, seen.at(-3) as Credential)).toBe(false);

    // Values never reach logs, results, the audit trail or the server's statement log.
    const evidenceDir = join(dir, "backups", "evidence", "rotation");
    const audit = readdirSync(evidenceDir).map((f) => readFileSync(join(evidenceDir, f), "utf8"));
    expect(audit.length).toBe((ROTATIONS + 1) * 4);
    const serverLog = readFileSync(app.cluster.logFile, "utf8");
    expect(serverLog).toMatch(/ALTER ROLE/);
    for (const cred of seen) {
      for (const text of [...outputs, ...audit, serverLog]) expect(text.includes(cred.password)).toBe(false);
    }
  });
});
