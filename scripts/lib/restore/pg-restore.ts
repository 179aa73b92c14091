import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { UserError } from "../../../posture/errors.ts";
import { type ConnInfo, libpqEnv } from "../pg/conninfo.ts";
import { pgTool } from "../pg/dump.ts";
import { withInputBuffer } from "../pg/stdbuf.ts";

export type PgRestoreOptions = {
  /** Parallel jobs (custom-format archives restore table data and indexes concurrently). @default cores */
  jobs?: number;
  /** Drop objects before recreating them (the target is not empty). */
  clean?: boolean;
  /** Keep the dump's object owners (they must exist on the target). @default false: --no-owner */
  keepOwners?: boolean;
};

export const defaultJobs = () => Math.max(1, availableParallelism());

/** Flags every pg_restore of a restore gets: --exit-on-error, the target, --no-owner unless asked. */
export function commonArgs(target: ConnInfo, opts: PgRestoreOptions): string[] {
  const args = [
    "--exit-on-error",
    `--dbname=dbname='${target.database.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`,
  ];
  if (!opts.keepOwners) args.push("--no-owner");
  return args;
}

export type PgRestoreRun = {
  child: ChildProcess;
  /** Resolves with stderr on exit 0; rejects with a UserError naming the last lines of stderr otherwise. */
  done: Promise<string>;
};

/**
 * Start pg_restore with `args` (after commonArgs). Connection details go by libpq env; the dbname argument
 * is a conninfo with the name quoted. `stdin: true` leaves stdin open for an archive fed through it.
 */
export function startPgRestore(args: string[], target: ConnInfo, stdin = false): PgRestoreRun {
  // Fed on stdin, it reads through stdio: 1 MiB reads (stdbuf.ts), not 4 KiB ones.
  const [command, argv] = stdin ? withInputBuffer(pgTool("pg_restore"), args) : [pgTool("pg_restore"), args];
  const child = spawn(command, argv, {
    env: libpqEnv(target),
    stdio: [stdin ? "pipe" : "ignore", "ignore", "pipe"],
  });
  const done = new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("error", (e) =>
      reject(
        new UserError(`cannot run pg_restore: ${e.message}`, {
          hint: "install the PostgreSQL client tools or set RAMPART_PG_BIN",
        }),
      ),
    );
    child.once("close", (code, signal) => (code === 0 ? resolve(err) : reject(exitError(code, signal, err))));
  });
  return { child, done };
}

/**
 * pg_restore --exit-on-error --jobs N of a whole archive file into `target`: the first error stops it (a
 * half-restored database must not look complete).
 */
export async function runPgRestore(
  dumpPath: string,
  target: ConnInfo,
  opts: PgRestoreOptions = {},
): Promise<void> {
  const args = [...commonArgs(target, opts), `--jobs=${opts.jobs ?? defaultJobs()}`];
  if (opts.clean) args.push("--clean", "--if-exists");
  args.push(dumpPath);
  const stderr = await startPgRestore(args, target).done;
  if (stderr.trim()) process.stderr.write(stderr);
}

/** pg_restore's failure as the user should read it. */
function exitError(code: number | null, signal: NodeJS.Signals | null, stderr: string): UserError {
  if (code === 127 && /failed to run command/.test(stderr))
    // stdbuf (stdbuf.ts) could not start pg_restore: the same as not finding it at all.
    return new UserError(`cannot run pg_restore: ${stderr.trim()}`, {
      hint: "install the PostgreSQL client tools or set RAMPART_PG_BIN",
    });
  const last = stderr.trim().split("\n").slice(-15).join("\n");
  return new UserError(`pg_restore failed (${signal ? `killed by ${signal}` : `exit ${code}`}):\n${last}`, {
    hint: "the target may be left partially restored: drop it and retry, or restore with --clean",
  });
}
