import { UserError } from "../../../posture/errors.ts";
import { type ConnInfo, connInfoFromEnv } from "../pg/conninfo.ts";

/**
 * The database a restore or drill writes to: `--target postgres://...` or `env:NAME` (the URL read from the
 * environment, so a URL with a password never appears in argv). Parsed like DATABASE_URL (scripts/lib/pg).
 */
export function resolveTarget(spec: string): ConnInfo {
  const name = spec.startsWith("env:") ? spec.slice(4) : undefined;
  const url = name ? process.env[name] : spec;
  if (!url) throw new UserError(`target ${spec}: environment variable ${name} is not set`, { exitCode: 2 });
  try {
    return connInfoFromEnv({ ...process.env, DATABASE_URL: url });
  } catch (e) {
    if (e instanceof UserError)
      throw new UserError(e.message.replace(/^DATABASE_URL/, "the target"), { hint: e.hints, exitCode: 2 });
    throw e;
  }
}

/** The same server, another database (scratch databases, admin connections). */
export const withDatabase = (info: ConnInfo, database: string): ConnInfo => ({ ...info, database });
