import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../scripts/lib/net.ts";
import { type PostgresCluster, postmasterPid, startPostgres } from "../../scripts/lib/pg-cluster.ts";
import { withDescendants } from "./topology.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export type BenchServices = {
  dir: string;
  cluster: PostgresCluster;
  /** moto's S3 endpoint. */
  s3: string;
  /** Env for the measured commands: dummy AWS credentials pointed at moto, the cluster's binaries. */
  env: NodeJS.ProcessEnv;
  /** The server side's processes now: the postmaster and everything it forked, and moto. */
  serverPids(): number[];
  stop(): Promise<void>;
};

/** A throwaway PostgreSQL (shared_buffers 256MB) and a moto S3 server for one benchmark run. */
export async function startBenchServices(prefix: string): Promise<BenchServices> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o711); // the postgres OS user (when we are root) must traverse into it
  const cluster = await startPostgres({ baseDir: dir, settings: { shared_buffers: "256MB" } });
  const port = await freePort("127.0.0.1");
  const moto = spawn(join(ROOT, ".tools/venv/bin/moto_server"), ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: "ignore",
  });
  const s3 = `http://127.0.0.1:${port}`;
  const stop = async () => {
    moto.kill("SIGTERM");
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (
      await fetch(`${s3}/moto-api/`).then(
        () => true,
        () => false,
      )
    )
      break;
    if (i === 50) {
      await stop();
      throw new Error(`moto did not answer at ${s3}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ENDPOINT_URL_S3: s3,
    AWS_ENDPOINT_URL: s3,
    RAMPART_PG_BIN: cluster.bin,
  };
  const serverPids = () =>
    [postmasterPid(cluster.dataDir), moto.pid].flatMap((pid) => (pid ? withDescendants(pid) : []));
  return { dir, cluster, s3, env, serverPids, stop };
}
