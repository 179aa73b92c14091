import { type ChildProcessByStdio, spawn } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { redact } from "../redact.ts";
import { type ConnInfo, libpqEnv } from "./conninfo.ts";
import { type DumpExit, DumpReader, type DumpReaderOptions } from "./dump-reader.ts";
import { withOutputBuffer } from "./stdbuf.ts";
import { stdoutChannel } from "./stdout-channel.ts";

export { DumpFailed } from "./dump-reader.ts";

/** A PostgreSQL client tool (pg_dump, pg_restore, pg_amcheck, ...): from $RAMPART_PG_BIN when set, else PATH. */
export function pgTool(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.RAMPART_PG_BIN ? join(env.RAMPART_PG_BIN, name) : name;
}

export type RunningDump = {
  /** The archive, in blocks; fails instead of ending when pg_dump does not exit cleanly. */
  stdout: DumpReader;
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
 * Its stdout is a socket read straight into `read.pool`'s blocks (dump-reader.ts).
 */
export async function spawnPgDump(
  pgDump: string,
  info: ConnInfo,
  snapshot: string,
  read: Omit<DumpReaderOptions, "exited">,
): Promise<RunningDump> {
  let settle!: (e: DumpExit) => void;
  const exited = new Promise<DumpExit>((resolve) => {
    settle = resolve;
  });
  const reader = new DumpReader({ ...read, exited });
  const channel = await stdoutChannel(reader.onread);
  reader.attach(channel.reader);
  const args = ["--format=custom", "--compress=0", `--snapshot=${snapshot}`, "--no-password"];
  const [command, argv] = withOutputBuffer(pgDump, args);
  let child: ChildProcessByStdio<null, null, Readable>;
  try {
    child = spawn(command, argv, { env: libpqEnv(info), stdio: ["ignore", channel.childEnd, "pipe"] });
  } catch (e) {
    reader.destroy();
    throw e;
  } finally {
    channel.childEnd.destroy(); // the child has its own copy: its exit is our end of input
  }
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-STDERR_KEEP);
  });
  child.once("error", (e) => settle({ code: -1, signal: null, stderr: e.message }));
  child.once("close", (code, signal) => settle({ code, signal, stderr: redact(stderr.trim()) }));
  return {
    stdout: reader,
    pid: child.pid,
    exited,
    kill: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
