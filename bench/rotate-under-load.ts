// Benchmark: what rotating the application's Postgres password costs the application. Same cluster, same
// run, two phases of `pgbench -n -c 4 -T <s>` (long-lived sessions on the credential current at start):
//   baseline  no rotation
//   rotating  `rampart rotate <secret>` run back to back (10 times by default) while pgbench runs
// plus, in both phases, a client that re-reads the current credential from the secret store and reconnects
// for every transaction. Prints transactions, failures and the rotating/baseline throughput ratio.
// Usage: node bench/rotate-under-load.ts [seconds=40] [rotations=10]. Not a test: the tests assert zero failures.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { EnvFileSecretStore } from "../scripts/lib/secrets/env-file.ts";
import { type Credential, runCli, scramCluster } from "../test/integration/rotate-support.ts";
import { rotationStack } from "../test/scripts/lib/rotation/stack-fixture.ts";

const seconds = Number(process.argv[2] ?? 40);
const rotations = Number(process.argv[3] ?? 10);
const SECRET = "db-app";

const app = await scramCluster();
const dir = mkdtempSync(join(tmpdir(), "rampart-bench-rotate-"));
const stack = rotationStack(dir, { [SECRET]: { kind: "postgres-password", intervalDays: 30 } });
const store = new EnvFileSecretStore(pathToFileURL(join(dir, "secrets.env")).href);
const env = { RAMPART_ADMIN_DATABASE_URL: app.adminUrl };
const script = join(dir, "tx.sql");
writeFileSync(
  script,
  "\\set aid random(1, 1000)\nBEGIN;\nUPDATE accounts SET balance = balance + 1 WHERE id = :aid;\nSELECT balance FROM accounts WHERE id = :aid;\nEND;\n",
);
const current = async () => JSON.parse((await store.get(SECRET)) as string) as Credential;

type Phase = {
  tx: number;
  failed: number;
  tps: number;
  clientOk: number;
  clientFailed: number;
  rotations: number;
  rotationS: number;
};

async function phase(rotate: boolean): Promise<Phase> {
  const cred = await current();
  const bench = spawn(
    join(app.cluster.bin, "pgbench"),
    [
      "-n",
      "-c",
      "4",
      "-T",
      String(seconds),
      "-f",
      script,
      "-h",
      app.cluster.host,
      "-p",
      String(app.cluster.port),
      "-U",
      cred.username,
      app.database,
    ],
    { env: { ...process.env, PGPASSWORD: cred.password }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  bench.stdout.on("data", (c: Buffer) => (out += c));
  bench.stderr.on("data", (c: Buffer) => (out += c));
  const done = new Promise<void>((r) => bench.on("close", () => r()));
  let stop = false;
  const client = { ok: 0, failed: 0 };
  const loop = (async () => {
    while (!stop) {
      const c2 = await current();
      const c = new pg.Client({
        host: app.cluster.host,
        port: app.cluster.port,
        database: app.database,
        user: c2.username,
        password: c2.password,
      });
      try {
        await c.connect();
        await c.query("update accounts set balance = balance + 1 where id = 1");
        client.ok++;
      } catch {
        client.failed++;
      } finally {
        await c.end().catch(() => {});
      }
    }
  })();
  let n = 0;
  const t0 = performance.now();
  if (rotate) {
    for (; n < rotations; n++) {
      const r = await runCli(["rotate", SECRET, "--stack", stack], env);
      if (r.code !== 0) throw new Error(`rotation ${n + 1} failed:\n${r.stderr}`);
    }
  }
  const rotationS = (performance.now() - t0) / 1000;
  await done;
  stop = true;
  await loop;
  const tx = Number(/actually processed: (\d+)/.exec(out)?.[1] ?? Number.NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  return { tx, failed, tps, clientOk: client.ok, clientFailed: client.failed, rotations: n, rotationS };
}

try {
  const first = await runCli(["rotate", SECRET, "--stack", stack], env);
  if (first.code !== 0) throw new Error(first.stderr);
  const baseline = await phase(false);
  const rotating = await phase(true);
  const row = (name: string, p: Phase) =>
    `${name.padEnd(9)} tx=${p.tx} failed=${p.failed} tps=${p.tps.toFixed(0)} reconnecting-client ok=${p.clientOk} failed=${p.clientFailed}` +
    (p.rotations
      ? ` rotations=${p.rotations} in ${p.rotationS.toFixed(1)}s (${(p.rotationS / p.rotations).toFixed(2)}s each)`
      : "");
  console.log(`pgbench -c 4 -T ${seconds}, ${rotations} rotations`);
  console.log(row("baseline", baseline));
  console.log(row("rotating", rotating));
  console.log(`throughput ratio rotating/baseline: ${(rotating.tps / baseline.tps).toFixed(3)}`);
  if (rotating.rotationS > seconds)
    console.log(`note: the rotations outlasted pgbench (-T ${seconds}); raise seconds`);
} finally {
  await app.cluster.stop();
}
