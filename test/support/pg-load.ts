// Application load on a scramCluster while its password rotates: pgbench sessions that stay on the credential
// they started with, and clients that re-read the current credential before every connection.
// Shared by test/integration/rotate-postgres-load.test.ts (asserts no failures) and bench/rotate-under-load.ts.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AppCluster, appClient, type Credential } from "./scram-cluster.ts";

const PGBENCH_SCRIPT = `\\set aid random(1, 1000)
BEGIN;
UPDATE accounts SET balance = balance + 1 WHERE id = :aid;
SELECT balance FROM accounts WHERE id = :aid;
END;
`;

export type PgbenchRun = {
  /** pgbench's exit code. */
  done: Promise<number | null>;
  running(): boolean;
  /** stdout and stderr so far. */
  output(): string;
};

/** `pgbench -n -c 4 -T <seconds>`: 4 long-lived sessions logged in as `cred` (its script goes in `dir`). */
export function startPgbench(app: AppCluster, cred: Credential, seconds: number, dir: string): PgbenchRun {
  const script = join(dir, "tx.sql");
  writeFileSync(script, PGBENCH_SCRIPT);
  const { host, port, bin } = app.cluster;
  const args = ["-n", "-c", "4", "-T", String(seconds), "-f", script, "-h", host, "-p", String(port)];
  const child = spawn(join(bin, "pgbench"), [...args, "-U", cred.username, app.database], {
    env: { ...process.env, PGPASSWORD: cred.password },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c));
  child.stderr.on("data", (c: Buffer) => (out += c));
  const done = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { done, running: () => child.exitCode === null, output: () => out };
}

/** What pgbench's summary says: transactions processed and failed, and throughput. */
export function pgbenchTotals(output: string): { processed: number; failed: number; tps: number } {
  return {
    processed: Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1]),
    failed: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? "0"),
    tps: Number(/tps = ([\d.]+)/.exec(output)?.[1]),
  };
}

export type ClientTally = { ok: number; failed: number; errors: string[] };

/**
 * `n` clients that each loop: read the CURRENT credential, connect, run one update transaction, disconnect.
 * `stop()` ends the loops and resolves once they have.
 */
export function reconnectingClients(
  app: AppCluster,
  current: () => Promise<Credential>,
  n: number,
): { tally: ClientTally; stop(): Promise<void> } {
  let stopped = false;
  const tally: ClientTally = { ok: 0, failed: 0, errors: [] };
  const loop = async () => {
    while (!stopped) {
      const c = appClient(app, await current());
      try {
        await c.connect();
        await c.query("begin");
        await c.query("update accounts set balance = balance + 1 where id = $1", [1 + (tally.ok % 1000)]);
        await c.query("commit");
        tally.ok++;
      } catch (err) {
        tally.failed++;
        tally.errors.push((err as Error).message);
      } finally {
        await c.end().catch(() => {});
      }
    }
  };
  const loops = Array.from({ length: n }, loop);
  return {
    tally,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
