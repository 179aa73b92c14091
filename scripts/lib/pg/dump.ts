import { type ChildProcessByStdio, spawn } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { redact } from "../redact.ts";
import { type ConnInfo, libpqEnv } from "./conninfo.ts";

/** A PostgreSQL client tool (pg_dump, pg_restore, pg_amcheck, ...): from $RAMPART_PG_BIN when set, else PATH. */
export function pgTool(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.RAMPART_PG_BIN ? join(env.RAMPART_PG_BIN, name) : name;
}

export type DumpExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

export type RunningDump = {
  stdout: Readable;
  pid: number | undefined;
  /** Resolves when the process has exited (never rejects; a spawn error is reported as code -1). */
  exited: Promise<DumpExit>;
  kill(signal?: NodeJS.Signals): void;
};

/** Keep the end of stderr only: enough for the error message, bounded memory. */
const STDERR_KEEP = 8 * 1024;

/**
 * Start `pg_dump --format=custom` reading the exported snapshot. Uncompressed (-Z0): compression is our
 * stage, so its algorithm and level come from the posture and it runs in parallel with pg_dump. The
 * connection, password included, is passed in the environment: argv is visible to every local user.
 */
export function spawnPgDump(pgDump: string, info: ConnInfo, snapshot: string): RunningDump {
  const args = ["--format=custom", "--compress=0", `--snapshot=${snapshot}`, "--no-password"];
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(pgDump, args, {
    env: libpqEnv(info),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP);
  });
  const exited = new Promise<DumpExit>((resolve) => {
    child.once("error", (e) => resolve({ code: -1, signal: null, stderr: e.message }));
    child.once("close", (code, signal) => resolve({ code, signal, stderr: redact(stderr.trim()) }));
  });
  return {
    stdout: child.stdout,
    pid: child.pid,
    exited,
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export function describeExit(e: DumpExit): string {
  const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
  return `pg_dump ${how}${e.stderr ? `: ${e.stderr.split("\n").slice(-5).join(" | ")}` : ""}`;
}
