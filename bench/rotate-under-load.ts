// Benchmark: what rotating the application's Postgres password costs the application. Same cluster, same
// run, two phases of `pgbench -n -c 4 -T <s>` (long-lived sessions on the credential current at start):
//   baseline  no rotation
//   rotating  `rampart rotate <secret>` run back to back (10 times by default) while pgbench runs
// plus, in both phases, a client that re-reads the current credential from the secret store and reconnects
// for every transaction. Prints transactions, failures and the rotating/baseline throughput ratio.
// Usage: node bench/rotate-under-load.ts [seconds=40] [rotations=10]. Not a test: the tests assert zero failures.
import { runCli } from "../test/support/cli.ts";
import { passwordRotation } from "../test/support/password-rotation.ts";
import { pgbenchTotals, reconnectingClients, startPgbench } from "../test/support/pg-load.ts";
import type { Credential } from "../test/support/scram-cluster.ts";

const seconds = Number(process.argv[2] ?? 40);
const rotations = Number(process.argv[3] ?? 10);
const SECRET = "db-app";

const rotation = await passwordRotation(SECRET, "rampart-bench-rotate-");
const { app, dir, stack } = rotation;
const env = { RAMPART_ADMIN_DATABASE_URL: app.adminUrl };
const current = async () => (await rotation.credential()) as Credential;

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
  const bench = startPgbench(app, await current(), seconds, dir);
  const clients = reconnectingClients(app, current, 1);
  let n = 0;
  const t0 = performance.now();
  if (rotate) {
    for (; n < rotations; n++) {
      const r = await runCli(["rotate", SECRET, "--stack", stack], env);
      if (r.code !== 0) throw new Error(`rotation ${n + 1} failed:\n${r.stderr}`);
    }
  }
  const rotationS = (performance.now() - t0) / 1000;
  await bench.done;
  await clients.stop();
  const { processed: tx, failed, tps } = pgbenchTotals(bench.output());
  return {
    tx,
    failed,
    tps,
    clientOk: clients.tally.ok,
    clientFailed: clients.tally.failed,
    rotations: n,
    rotationS,
  };
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
