import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { UserError } from "../../../posture/errors.ts";
import { type ConnInfo, libpqEnv } from "../pg/conninfo.ts";
import { pgTool } from "../pg/dump.ts";

export type PgRestoreOptions = {
  /** Parallel jobs (custom-format archives restore table data and indexes concurrently). @default cores */
  jobs?: number;
  /** Drop objects before recreating them (the target is not empty). */
  clean?: boolean;
  /** Keep the dump's object owners (they must exist on the target). @default false: --no-owner */
  keepOwners?: boolean;
};

export const defaultJobs = () => Math.max(1, availableParallelism());

/**
 * pg_restore --exit-on-error into `target`: the first error stops it (a half-restored database must not look
 * complete). Connection details go by libpq env; the dbname argument is a conninfo with the name quoted.
 */
export async function runPgRestore(
  dumpPath: string,
  target: ConnInfo,
  opts: PgRestoreOptions = {},
): Promise<void> {
  const args = [
    "--exit-on-error",
    `--jobs=${opts.jobs ?? defaultJobs()}`,
    `--dbname=dbname='${target.database.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`,
  ];
  if (!opts.keepOwners) args.push("--no-owner");
  if (opts.clean) args.push("--clean", "--if-exists");
  args.push(dumpPath);
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(pgTool("pg_restore"), args, {
      env: libpqEnv(target),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("error", (e) =>
      reject(
        new UserError(`cannot run pg_restore: ${e.message}`, {
          hint: "install the PostgreSQL client tools or set RAMPART_PG_BIN",
        }),
      ),
    );
    child.once("close", (code) =>
      code === 0
        ? resolve(err)
        : reject(
            new UserError(
              `pg_restore failed (exit ${code}):\n${err.trim().split("\n").slice(-15).join("\n")}`,
              {
                hint: "the target may be left partially restored: drop it and retry, or restore with --clean",
              },
            ),
          ),
    );
  });
  if (stderr.trim()) process.stderr.write(stderr);
}
