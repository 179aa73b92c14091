import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { UserError } from "../../../posture/errors.ts";

const execFileP = promisify(execFile);

/** "pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)" → "15.8". */
export function parsePgDumpVersion(output: string): string {
  const m = /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(output);
  if (!m?.[1]) throw new Error(`cannot read a version from pg_dump --version: ${output.trim()}`);
  return m[1];
}

export const majorOf = (version: string) => Number(version.split(".")[0]);

export async function pgDumpVersion(pgDump: string): Promise<string> {
  try {
    const { stdout } = await execFileP(pgDump, ["--version"]);
    return parsePgDumpVersion(stdout);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`pg_dump not found: ${pgDump}`, {
        hint: "install the PostgreSQL client matching the server, or set RAMPART_PG_BIN to its bin directory",
      });
    throw e;
  }
}

/**
 * pg_dump refuses newer servers itself, but only after connecting and with a terse message; an older
 * pg_dump may also silently miss newer catalog features. Refuse up front with the fix.
 */
export function assertDumpCanReadServer(pgDumpVer: string, serverVer: string, pgDump: string): void {
  if (majorOf(pgDumpVer) < majorOf(serverVer))
    throw new UserError(
      `pg_dump ${pgDumpVer} (${pgDump}) is older than the server (PostgreSQL ${serverVer}): refusing to back up`,
      {
        hint: [
          `install postgresql-client-${majorOf(serverVer)} (or newer) and point RAMPART_PG_BIN at its bin directory`,
          "a pg_dump older than the server can miss objects; it must be the same major version or newer",
        ],
      },
    );
}
