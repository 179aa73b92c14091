import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvFileSecretStore } from "../../scripts/lib/secrets/env-file.ts";
import { rotationStack } from "../scripts/lib/rotation/stack-fixture.ts";
import { type AppCluster, type Credential, canLogin, runCli, scramCluster } from "./rotate-support.ts";

const SECRET = "db-app";
const ROTATIONS = 10;
const PGBENCH_SECONDS = 90;

const PGBENCH_SCRIPT = `\\set aid random(1, 1000)
BEGIN;
UPDATE accounts SET balance = balance + 1 WHERE id = :aid;
SELECT balance FROM accounts WHERE id = :aid;
END;
`;

describe("postgres-password rotation under load (alternating users)", () => {
  let app: AppCluster;
  let dir: string;
  let stack: string;
  let store: EnvFileSecretStore;
  beforeAll(async () => {
    app = await scramCluster();
    dir = mkdtempSync(join(tmpdir(), "rampart-rotate-pg-"));
    stack = rotationStack(dir, { [SECRET]: { kind: "postgres-password", intervalDays: 30 } });
    store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
  });
  afterAll(async () => {
    await app?.cluster.stop();
  });

  const env = () => ({ RAMPART_ADMIN_DATABASE_URL: app.adminUrl });
  const current = async () => JSON.parse((await store.get(SECRET)) as string) as Credential;

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
    const script = join(dir, "tx.sql");
    writeFileSync(script, PGBENCH_SCRIPT);
    const pgbench = spawn(
      join(app.cluster.bin, "pgbench"),
      [
        "-n",
        "-c",
        "4",
        "-T",
        String(PGBENCH_SECONDS),
        "-f",
        script,
        "-h",
        app.cluster.host,
        "-p",
        String(app.cluster.port),
        "-U",
        start.username,
        app.database,
      ],
      { env: { ...process.env, PGPASSWORD: start.password }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let benchOut = "";
    pgbench.stdout.on("data", (c: Buffer) => (benchOut += c));
    pgbench.stderr.on("data", (c: Buffer) => (benchOut += c));
    const benchDone = new Promise<number | null>((r) => pgbench.on("close", (code) => r(code)));

    // Reconnecting clients: read the CURRENT credential from the store before every connection.
    let stop = false;
    const counts = { ok: 0, failed: 0, errors: [] as string[] };
    const client = async () => {
      while (!stop) {
        const cred = await current();
        const c = new pg.Client({
          host: app.cluster.host,
          port: app.cluster.port,
          database: app.database,
          user: cred.username,
          password: cred.password,
        });
        try {
          await c.connect();
          await c.query("begin");
          await c.query("update accounts set balance = balance + 1 where id = $1", [1 + (counts.ok % 1000)]);
          await c.query("commit");
          counts.ok++;
        } catch (err) {
          counts.failed++;
          counts.errors.push((err as Error).message);
        } finally {
          await c.end().catch(() => {});
        }
      }
    };
    const clients = [client(), client()];

    const seen: Credential[] = [start];
    const outputs: string[] = [first.stdout, first.stderr];
    for (let i = 0; i < ROTATIONS; i++) {
      const r = await runCli(["rotate", SECRET, "--stack", stack], env());
      outputs.push(r.stdout, r.stderr);
      expect(r.code, r.stderr).toBe(0);
      seen.push(await current());
    }
    const benchStillRunning = pgbench.exitCode === null;
    stop = true;
    await Promise.all(clients);
    expect(
      benchStillRunning,
      `pgbench (-T ${PGBENCH_SECONDS}) ended before the ${ROTATIONS} rotations did; raise PGBENCH_SECONDS`,
    ).toBe(true);
    expect(await benchDone).toBe(0);

    const processed = Number(/number of transactions actually processed: (\d+)/.exec(benchOut)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(benchOut)?.[1] ?? "0");
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
    expect(JSON.parse((await store.get(SECRET, "previous")) as string)).toEqual(seen.at(-2));
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
