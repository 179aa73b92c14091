// vitest globalSetup for the `integration` project: starts throwaway services
// on free loopback ports, in a temporary directory, and stops them afterwards.
//
//   PostgreSQL 15  initdb + pg_ctl (scripts/lib/pg-cluster.ts)
//   moto           .tools/venv/bin/moto_server (S3, KMS, Secrets Manager, ...)
//   fake-gcs       .tools/bin/fake-gcs-server (GCS JSON API, in-memory)
//
// Tests read the endpoints with `inject()` (see test/support/services.ts);
// child processes get them from RAMPART_TEST_* environment variables.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, rmSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../../scripts/lib/net.ts";
import { type PostgresCluster, startPostgres } from "../../scripts/lib/pg-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
    pgBin: string;
    s3Endpoint: string;
    gcsEndpoint: string;
  }
}

const ROOT = resolve(import.meta.dirname, "../..");
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 60_000;

interface Service {
  name: string;
  stop(): Promise<void>;
  stopSync(): void;
}

function tool(relative: string, name: string): string {
  const local = join(ROOT, relative);
  if (existsSync(local)) return local;
  throw new Error(`${name} not found at ${local}; run \`make setup\``);
}

async function tail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a long-running server that dies with us (setpriv --pdeathsig) where possible. */
function spawnServer(cmd: string, args: string[], logFile: string, cwd: string): ChildProcess {
  const log = openSync(logFile, "a");
  const usePdeathsig = process.platform === "linux" && existsSync("/usr/bin/setpriv");
  const [file, argv] = usePdeathsig
    ? ["/usr/bin/setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args]]
    : [cmd, args];
  return spawn(file, argv, { cwd, stdio: ["ignore", log, log], env: { ...process.env } });
}

/** Polls `url` until any HTTP answer below 500 arrives; fails early if the process exits. */
async function waitForHttp(name: string, url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) before answering on ${url}\n` +
          `--- ${logFile} (tail) ---\n${await tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(
    `${name} did not answer on ${url} within ${READY_TIMEOUT_MS / 1000}s (last: ${last})\n` +
      `--- ${logFile} (tail) ---\n${await tail(logFile)}`,
  );
}

function processService(name: string, child: ChildProcess): Service {
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once("exit", () => r());
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    async stop() {
      if (!gone()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
    stopSync() {
      if (!gone()) child.kill("SIGKILL");
    },
  };
}

async function startHttpServer(
  name: string,
  dir: string,
  cmd: string,
  args: (port: number) => string[],
  readyPath: string,
): Promise<{ service: Service; endpoint: string }> {
  const logFile = join(dir, `${name}.log`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(HOST);
    const child = spawnServer(cmd, args(port), logFile, dir);
    const service = processService(name, child);
    const endpoint = `http://${HOST}:${port}`;
    try {
      await waitForHttp(name, `${endpoint}${readyPath}`, child, logFile);
      return { service, endpoint };
    } catch (err) {
      await service.stop();
      // Someone else may have taken the port between freePort() and bind.
      if (attempt < 3 && /address already in use|bind/i.test(await tail(logFile))) continue;
      throw err;
    }
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), "rampart-services-"));
  // The postgres OS user (when we are root) must be able to traverse into it.
  await chmod(dir, 0o711);
  const services: Service[] = [];

  let tornDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    tornDown ??= (async () => {
      const results = await Promise.allSettled(services.map((s) => s.stop()));
      await rm(dir, { recursive: true, force: true });
      process.off("exit", onExit);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      const failed = results.flatMap((r, i) =>
        r.status === "rejected" ? [`${services[i]?.name}: ${String(r.reason)}`] : [],
      );
      if (failed.length > 0) throw new Error(`stopping test services failed:\n${failed.join("\n")}`);
    })();
    return tornDown;
  };
  // Last resort when vitest exits without running the teardown.
  const onExit = () => {
    for (const s of services) {
      try {
        s.stopSync();
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void teardown()
      .catch(() => onExit())
      .finally(() => process.kill(process.pid, signal));
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const track = <T extends Service>(s: T): T => {
    services.push(s);
    return s;
  };

  try {
    const motoBin = tool(".tools/venv/bin/moto_server", "moto_server");
    const gcsBin = tool(".tools/bin/fake-gcs-server", "fake-gcs-server");

    const [pg, moto, gcs] = await Promise.allSettled([
      startPostgres({ baseDir: dir }).then((c: PostgresCluster) =>
        track({ name: "postgres", stop: c.stop, stopSync: c.stopSync, cluster: c }),
      ),
      startHttpServer("moto", dir, motoBin, (port) => ["-H", HOST, "-p", String(port)], "/moto-api/").then(
        (r) => {
          track(r.service);
          return r.endpoint;
        },
      ),
      startHttpServer(
        "fake-gcs-server",
        dir,
        gcsBin,
        (port) => [
          "-scheme",
          "http",
          "-host",
          HOST,
          "-port",
          String(port),
          "-backend",
          "memory",
          "-external-url",
          `http://${HOST}:${port}`,
          "-log-level",
          "warn",
        ],
        "/storage/v1/b",
      ).then((r) => {
        track(r.service);
        return r.endpoint;
      }),
    ]);
    const errors = [pg, moto, gcs].flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    if (pg.status !== "fulfilled" || moto.status !== "fulfilled" || gcs.status !== "fulfilled") {
      throw new Error(`integration test services failed to start:\n${errors.join("\n\n")}`);
    }

    const values = {
      pgUrl: pg.value.cluster.url,
      pgBin: pg.value.cluster.bin,
      s3Endpoint: moto.value,
      gcsEndpoint: gcs.value,
    };
    project.provide("pgUrl", values.pgUrl);
    project.provide("pgBin", values.pgBin);
    project.provide("s3Endpoint", values.s3Endpoint);
    project.provide("gcsEndpoint", values.gcsEndpoint);

    // For child processes spawned by tests (workers inherit this environment).
    process.env.RAMPART_TEST_PG_URL = values.pgUrl;
    process.env.RAMPART_TEST_PG_BIN = values.pgBin;
    process.env.RAMPART_TEST_S3_ENDPOINT = values.s3Endpoint;
    process.env.RAMPART_TEST_GCS_ENDPOINT = values.gcsEndpoint;
    // Dummy credentials so nothing in a test can reach real AWS with real ones.
    process.env.AWS_ACCESS_KEY_ID = "test";
    process.env.AWS_SECRET_ACCESS_KEY = "test";
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    process.env.AWS_REGION = "us-east-1";
    process.env.AWS_DEFAULT_REGION = "us-east-1";
  } catch (err) {
    await teardown().catch(() => {});
    throw err;
  }

  return teardown;
}
