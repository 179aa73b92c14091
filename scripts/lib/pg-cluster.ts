// A throwaway PostgreSQL cluster on loopback in a temporary directory.
//
// Used by the integration test services (test/setup/services.ts), by tests
// that need a cluster of their own, and by `make demo`. When running as root,
// initdb/pg_ctl/postgres run as the unprivileged `postgres` OS user (Postgres
// refuses to run as root) and the temporary directory is chowned to it.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { appendFile, chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./net.ts";

export const DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin";
export const PG_HOST = "127.0.0.1";
export const PG_SUPERUSER = "postgres";

export type PgSetting = string | number | boolean;

export interface StartPostgresOptions {
  /** Directory with initdb, pg_ctl, postgres. Default: $RAMPART_PG_BIN or /usr/lib/postgresql/15/bin. */
  bin?: string;
  /** TCP port on 127.0.0.1. Default: a free one (retried if it is taken meanwhile). */
  port?: number;
  /** Extra postgresql.conf settings, e.g. `{ wal_level: "replica", archive_mode: true }`. */
  settings?: Record<string, PgSetting>;
  /** Parent of the cluster's temporary directory. Default: the OS temp dir. */
  baseDir?: string;
  /** OS user that owns and runs the cluster when the caller is root. Default: `postgres`. */
  osUser?: string;
  /** Seconds pg_ctl waits for startup. Default 60. */
  startTimeoutSeconds?: number;
}

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth). */
  url: string;
  port: number;
  host: string;
  user: string;
  bin: string;
  /** The temporary directory holding everything below; removed by stop(). */
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  /** URL of another database on this cluster. */
  urlFor(database: string): string;
  /** Stops the server (fast, then immediate, then SIGKILL) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
  /** Synchronous best-effort stop for `process.on("exit")` handlers. */
  stopSync(): void;
}

interface Owner {
  uid: number;
  gid: number;
}

const DEFAULT_SETTINGS: Record<string, PgSetting> = {
  listen_addresses: PG_HOST,
  fsync: false,
  synchronous_commit: false,
  full_page_writes: false,
  max_connections: 100,
  shared_buffers: "64MB",
  logging_collector: false,
  log_min_messages: "warning",
  log_line_prefix: "%m [%p] ",
};

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function lookupOwner(user: string): Owner {
  try {
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) throw new Error("bad uid/gid");
    return { uid, gid };
  } catch {
    throw new Error(
      `running as root, but there is no usable non-root OS user "${user}" to run PostgreSQL as ` +
        "(it comes with Debian's postgresql-15 package; or pass osUser)",
    );
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PG")) env[k] = v;
  return env;
}

function quoteSetting(value: PgSetting): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return String(value);
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

async function tail(file: string, lines = 40): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

interface RunOptions {
  owner: Owner | undefined;
  cwd: string;
}

function run(cmd: string, args: string[], opts: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("error", (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.once("close", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? signal}\n${out.trimEnd()}`));
    });
  });
}

/** The running server's pid from its data directory, if it has one. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  const bin = options.bin ?? process.env.RAMPART_PG_BIN ?? DEFAULT_PG_BIN;
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(join(bin, tool))) {
      throw new Error(`PostgreSQL binary ${join(bin, tool)} not found (run \`make setup\`)`);
    }
  }
  const owner = isRoot() ? lookupOwner(options.osUser ?? "postgres") : undefined;
  const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), "rampart-pg-"));
  const dataDir = join(dir, "data");
  const socketDir = join(dir, "sock");
  const logFile = join(dir, "postgres.log");
  const runOpts: RunOptions = { owner, cwd: dir };
  const pgCtl = join(bin, "pg_ctl");

  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    await mkdir(socketDir, { mode: 0o700 });
    if (owner) {
      await chown(dir, owner.uid, owner.gid);
      await chown(socketDir, owner.uid, owner.gid);
    }
    await run(
      join(bin, "initdb"),
      [
        "-D",
        dataDir,
        "-U",
        PG_SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
        "--no-instructions",
      ],
      runOpts,
    );

    // Trust only the private unix socket directory and 127.0.0.1.
    const hba = join(dataDir, "pg_hba.conf");
    await writeFile(
      hba,
      [
        "# written by scripts/lib/pg-cluster.ts: throwaway cluster, loopback only",
        "local all         all                trust",
        "host  all         all  127.0.0.1/32  trust",
        "local replication all                trust",
        "host  replication all  127.0.0.1/32  trust",
        "",
      ].join("\n"),
    );
    await appendFile(join(dataDir, "postgresql.conf"), "\ninclude_if_exists = 'rampart.conf'\n");
    if (owner) await chown(hba, owner.uid, owner.gid);
  } catch (err) {
    await removeDir();
    if (owner && /Permission denied/.test(String(err))) {
      throw new Error(
        `${(err as Error).message}\n(the OS user "${options.osUser ?? "postgres"}" must be able to ` +
          `traverse every parent directory of ${dir})`,
      );
    }
    throw err;
  }

  const writeSettings = async (port: number) => {
    const settings: Record<string, PgSetting> = {
      ...DEFAULT_SETTINGS,
      ...options.settings,
      port,
      unix_socket_directories: socketDir,
    };
    const file = join(dataDir, "rampart.conf");
    await writeFile(
      file,
      `${Object.entries(settings)
        .map(([k, v]) => `${k} = ${quoteSetting(v)}`)
        .join("\n")}\n`,
    );
    if (owner) await chown(file, owner.uid, owner.gid);
  };

  let port = 0;
  const attempts = options.port === undefined ? 5 : 1;
  for (let attempt = 1; ; attempt++) {
    port = options.port ?? (await freePort(PG_HOST));
    try {
      await writeSettings(port);
      await run(
        pgCtl,
        ["-D", dataDir, "-l", logFile, "-w", "-t", String(options.startTimeoutSeconds ?? 60), "-s", "start"],
        runOpts,
      );
      break;
    } catch (err) {
      const log = await tail(logFile);
      const pid = postmasterPid(dataDir);
      if (pid !== undefined && alive(pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      if (attempt < attempts && /could not bind|Address already in use/i.test(log)) continue;
      await removeDir();
      throw new Error(
        `PostgreSQL failed to start on ${PG_HOST}:${port}: ${(err as Error).message}\n--- ${logFile} (tail) ---\n${log}`,
      );
    }
  }

  const url = `postgres://${PG_SUPERUSER}@${PG_HOST}:${port}/postgres`;
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (existsSync(join(dataDir, "postmaster.pid"))) {
        try {
          await run(pgCtl, ["-D", dataDir, "-m", "fast", "-w", "-t", "30", "-s", "stop"], runOpts);
        } catch {
          try {
            await run(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "-t", "10", "-s", "stop"], runOpts);
          } catch {
            const pid = postmasterPid(dataDir);
            if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
          }
        }
      }
      await removeDir();
    })();
    return stopping;
  };

  const stopSync = (): void => {
    try {
      if (existsSync(join(dataDir, "postmaster.pid"))) {
        execFileSync(pgCtl, ["-D", dataDir, "-m", "immediate", "-w", "-t", "10", "-s", "stop"], {
          cwd: dir,
          env: childEnv(),
          stdio: "ignore",
          ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
        });
      }
    } catch {
      const pid = postmasterPid(dataDir);
      if (pid !== undefined && alive(pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    url,
    port,
    host: PG_HOST,
    user: PG_SUPERUSER,
    bin,
    dir,
    dataDir,
    socketDir,
    logFile,
    urlFor: (database) => `postgres://${PG_SUPERUSER}@${PG_HOST}:${port}/${encodeURIComponent(database)}`,
    stop,
    stopSync,
  };
}
