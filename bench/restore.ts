// Benchmark: rampart restore against the limit, measured in one run on the same server and local S3 (moto):
//   limit    pg_restore -j <cores> from a local, unencrypted -Z0 dump   (what restoring itself costs)
//   rampart  rampart restore from S3                                    (download + sha256 + age + zstd + pg_restore -j)
//   no-seek  the same backup with a manifest without its seek index     (archive order, as before the index)
//   drill    rampart drill                                              (restore + verification; verify cost reported apart)
//   split    limit and rampart again, the server side (PostgreSQL, moto) pinned to half the CPUs and the
//            clients to the other half: production's topology, where the client's decoding does not take
//            CPU from the server's COPYs
// Usage: node bench/restore.ts [sizeMB ...]   (default: 100). Not a test: prints numbers and ratios.
// Each measurement is repeated RUNS times (env BENCH_RUNS, default 3); the median wall time is reported.
// BENCH_BASELINE=<dir with scripts/cli.ts> also times that tree's `rampart restore`, interleaved with this
// one's (before/after on the same server, in the same run: a shared box drifts between runs).
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type Manifest, manifestKey } from "../scripts/lib/manifest.ts";
import { listBackupIds, readManifest } from "../scripts/lib/restore/fetch.ts";
import { openStore } from "../scripts/lib/store/index.ts";
import { writeStackWithIdentity } from "../test/support/stacks.ts";
import { generateDatabase } from "./lib/gen-db.ts";
import { ROOT, startBenchServices } from "./lib/services.ts";
import { medianRun, type Timed, timed } from "./lib/timed.ts";
import { pin, splitCpus } from "./lib/topology.ts";

/** The installed entry (bin/rampart: compile cache on), as the jobs image runs it. */
const CLI = join(ROOT, "bin/rampart");
const BASELINE = process.env.BENCH_BASELINE
  ? `node ${join(process.env.BENCH_BASELINE, "scripts/cli.ts")}`
  : null;
const JOBS = availableParallelism();
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The median of `n` repetitions. */
async function median(n: number, run: () => Promise<Timed>): Promise<Timed> {
  const all: Timed[] = [];
  for (let i = 0; i < n; i++) all.push(await run());
  return medianRun(all);
}
const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0) sizes.push(100);

const services = await startBenchServices("rampart-bench-restore-");
const { dir, cluster } = services;
const env: NodeJS.ProcessEnv = {
  ...services.env,
  PGHOST: "127.0.0.1",
  PGPORT: String(cluster.port),
  PGUSER: "postgres",
};
const bin = (tool: string) => join(cluster.bin, tool);

try {
  const rows: string[] = [];
  for (const size of sizes) {
    const db = `bench${size}`;
    await timed(`${bin("createdb")} ${db}`, env);
    process.stderr.write(`generating ~${size} MB ...\n`);
    const dbBytes = await generateDatabase(cluster.urlFor(db), size);
    const bucket = `bench-restore-${size}`;
    await timed(`aws s3 mb s3://${bucket}`, env);
    const stack = writeStackWithIdentity(dir, {
      "backups.store": `s3://${bucket}/pg`,
      "drills.verify": [],
      "drills.rtoMinutes": 600,
    });
    const dbEnv = { ...env, DATABASE_URL: cluster.urlFor(db), PGDATABASE: db };
    process.stderr.write("rampart backup (setup) ...\n");
    await timed(`${CLI} backup --stack ${stack.file}`, dbEnv); // also warms the compile cache
    const id = await withoutSeekIndex(`s3://${bucket}/pg`, dbEnv);
    const dump = join(dir, `${db}.dump`);
    await timed(`${bin("pg_dump")} -Fc -Z0 -f ${dump}`, dbEnv);

    const fresh = async (name: string) => {
      await timed(`${bin("dropdb")} --if-exists ${name} && ${bin("createdb")} ${name}`, env);
      return name;
    };
    // Each target is dropped as soon as its run is measured: autovacuum of ~1 GB of freshly loaded rows
    // would otherwise land in the next contender's measurement (seen: +1-2 s on a rampart restore).
    const dropped = async (run: Promise<Timed>, name: string) => {
      const t = await run;
      await timed(`${bin("dropdb")} --if-exists ${name}`, env);
      return t;
    };
    // `onCpus` runs the command under taskset (the split topology below); by default, as it is.
    const limitRun = async (onCpus = (command: string) => command) =>
      dropped(
        timed(
          onCpus(
            `${bin("pg_restore")} -j ${JOBS} --no-owner --exit-on-error -d ${await fresh("limit_target")} ${dump}`,
          ),
          env,
        ),
        "limit_target",
      );
    const restoreWith = async (cli: string, backup = id.seek) =>
      dropped(
        timed(
          `${cli} restore --stack ${stack.file} --backup ${backup} --target ${cluster.urlFor(await fresh("rampart_target"))} --identity-file ${stack.identityFile} --jobs ${JOBS} --json`,
          env,
        ),
        "rampart_target",
      );
    // Interleaved, so that load from elsewhere on the box falls on every contender alike.
    process.stderr.write("limit (pg_restore -j) and rampart restore, interleaved ...\n");
    const runs: { limit: Timed[]; ram: Timed[]; base: Timed[]; noSeek: Timed[] } = {
      limit: [],
      ram: [],
      base: [],
      noSeek: [],
    };
    for (let i = 0; i < RUNS; i++) {
      runs.limit.push(await limitRun());
      if (BASELINE) runs.base.push(await restoreWith(BASELINE));
      runs.ram.push(await restoreWith(CLI));
      runs.noSeek.push(await restoreWith(CLI, id.noSeek));
    }
    // The same with the server side and the clients on CPUs of their own, as in production: on a shared box
    // the client's decrypting and decoding takes CPU from the server's COPYs, which pg_restore reading a
    // local file hardly does.
    const split = splitCpus(JOBS);
    const splitRuns: { limit: Timed[]; ram: Timed[] } = { limit: [], ram: [] };
    if (split) {
      process.stderr.write(
        `the same, server on CPU ${split.server} and clients on CPU ${split.client} ...\n`,
      );
      const onClient = (command: string) => `taskset -c ${split.client} ${command}`;
      await pin(services.serverPids(), split.server);
      try {
        for (let i = 0; i < RUNS; i++) {
          splitRuns.limit.push(await limitRun(onClient));
          splitRuns.ram.push(await restoreWith(onClient(CLI)));
        }
      } finally {
        await pin(services.serverPids(), split.all);
      }
    }
    const limit = medianRun(runs.limit);
    const ram = medianRun(runs.ram);
    const noSeek = medianRun(runs.noSeek);
    const base = BASELINE ? medianRun(runs.base) : null;
    process.stderr.write("rampart drill ...\n");
    const drill = await median(RUNS, () =>
      timed(
        `${CLI} drill --stack ${stack.file} --backup ${id.seek} --target ${cluster.url} --identity-file ${stack.identityFile} --jobs ${JOBS} --json`,
        env,
      ),
    );
    const record = JSON.parse(drill.stdout) as { outcome: string; stages: Record<string, number> };
    const stages = (ms: Record<string, number>) =>
      Object.entries(ms)
        .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}s`)
        .join(", ");
    /** A `rampart restore --json` run's stage timings, as the table prints them. */
    const restoreStages = (t: Timed) => stages((JSON.parse(t.stdout) as { ms: Record<string, number> }).ms);
    const line = (name: string, t: Timed, note: string) =>
      `| ${(dbBytes / 1024 / 1024).toFixed(0)} MB | ${name} | ${t.wallS.toFixed(2)} s | ${t.cpuS.toFixed(2)} s | ${t.peakRssMb.toFixed(0)} MB | ${note} |`;
    const verifyS = (record.stages.verify ?? 0) / 1000;
    if (base)
      rows.push(
        line(
          "`rampart restore` baseline",
          base,
          `${restoreStages(base)}; baseline/limit ${(base.wallS / limit.wallS).toFixed(2)}x`,
        ),
      );
    rows.push(
      line(`\`pg_restore -j ${JOBS}\` local -Z0 dump (limit)`, limit, ""),
      line("`rampart restore` from S3", ram, restoreStages(ram)),
      line(
        "`rampart restore`, manifest without seek index",
        noSeek,
        `archive order, as before the index: ${(noSeek.wallS / limit.wallS).toFixed(2)}x the limit`,
      ),
      line("`rampart drill`", drill, `${record.outcome}: ${stages(record.stages)}`),
      `| | **ratios** | restore/limit **${(ram.wallS / limit.wallS).toFixed(2)}x** (target ≤ 1.2) | drill/limit ${(drill.wallS / limit.wallS).toFixed(2)}x | | verification ${verifyS.toFixed(2)} s = ${((verifyS / drill.wallS) * 100).toFixed(0)}% of the drill |`,
    );
    if (split) {
      const [sLimit, sRam] = [medianRun(splitRuns.limit), medianRun(splitRuns.ram)];
      const where = `server on CPU ${split.server}, clients on CPU ${split.client}`;
      rows.push(
        line(`\`pg_restore -j ${JOBS}\` (limit), ${where}`, sLimit, ""),
        line(`\`rampart restore\` from S3, ${where}`, sRam, restoreStages(sRam)),
        `| | **ratio, ${where}** | restore/limit **${(sRam.wallS / sLimit.wallS).toFixed(2)}x** (target ≤ 1.2) | | | |`,
      );
    }
  }
  process.stdout.write(
    `${["| database | run | wall | CPU (user+sys) | peak RSS | stages |", "|---|---|---|---|---|---|", ...rows].join("\n")}\n`,
  );
} finally {
  await services.stop();
}

/**
 * A second copy of the store's only backup whose manifest has no seek index (a backup made before it
 * existed), so that both restores run from the same bytes. Ids: the backup's, and the copy's.
 */
async function withoutSeekIndex(
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<{ seek: string; noSeek: string }> {
  Object.assign(process.env, env); // the S3 endpoint and credentials of the bench services
  const store = await openStore(url);
  const seek = (await listBackupIds(store)).at(-1) as string;
  const manifest = await readManifest(store, seek);
  if (!manifest.seek) throw new Error(`backup ${seek} has no seek index`);
  const noSeek = `${seek}-noseek`;
  const copy: Manifest = { ...manifest, id: noSeek, object: manifest.object.replace(seek, noSeek) };
  delete copy.seek;
  await store.putBytes(copy.object, await store.getBytes(manifest.object));
  await store.putBytes(manifestKey(noSeek), JSON.stringify(copy));
  return { seek, noSeek };
}
