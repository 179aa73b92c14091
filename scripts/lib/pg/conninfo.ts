import { readFileSync } from "node:fs";
import type { ClientConfig } from "pg";
import { UserError } from "../../../posture/errors.ts";
import { registerSecret } from "../redact.ts";

/**
 * Where the target database is, from DATABASE_URL or the libpq PG* variables. The password is never put
 * on a command line: pg_dump gets it as PGPASSWORD in its environment (or reads ~/.pgpass itself).
 */
export type ConnInfo = {
  host: string | undefined;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string;
  /** libpq parameters other than the above (sslmode, sslrootcert, ...), by libpq name. */
  params: Record<string, string>;
};

/** URL query parameters we pass on to libpq, with the environment variable pg_dump reads them from. */
const LIBPQ_ENV: Record<string, string> = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  application_name: "PGAPPNAME",
  connect_timeout: "PGCONNECT_TIMEOUT",
  options: "PGOPTIONS",
  target_session_attrs: "PGTARGETSESSIONATTRS",
};

/** Read the connection from `env` (DATABASE_URL wins over PG* variables). */
export function connInfoFromEnv(env: NodeJS.ProcessEnv = process.env): ConnInfo {
  const url = env.DATABASE_URL;
  const info = url ? fromUrl(url) : fromPgEnv(env);
  // A password in the URL wins; otherwise PGPASSWORD / PGPASSFILE as libpq would.
  info.password ??= env.PGPASSWORD || undefined;
  registerSecret(info.password);
  return info;
}

function fromUrl(url: string): ConnInfo {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError("DATABASE_URL is not a valid URL", {
      hint: "use postgres://user@host:5432/dbname (password via PGPASSWORD, ~/.pgpass or the URL)",
      exitCode: 2,
    });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:")
    throw new UserError(`DATABASE_URL must be a postgres:// URL, not ${u.protocol}//`, { exitCode: 2 });
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!database)
    throw new UserError("DATABASE_URL names no database", {
      hint: "add the database name as the path: postgres://user@host:5432/dbname",
      exitCode: 2,
    });
  const params: Record<string, string> = {};
  for (const [k, v] of u.searchParams) {
    if (k === "host") continue;
    if (!(k in LIBPQ_ENV))
      throw new UserError(`DATABASE_URL: unsupported parameter "${k}"`, {
        hint: `supported: host, ${Object.keys(LIBPQ_ENV).join(", ")}`,
        exitCode: 2,
      });
    params[k] = v;
  }
  // postgres:///db?host=/var/run/postgresql is how libpq spells a unix socket.
  const host = u.searchParams.get("host") ?? (u.hostname ? decodeURIComponent(u.hostname) : undefined);
  return {
    host,
    port: u.port ? Number(u.port) : undefined,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
    params,
  };
}

function fromPgEnv(env: NodeJS.ProcessEnv): ConnInfo {
  const database = env.PGDATABASE || env.PGUSER;
  if (!database)
    throw new UserError("no target database: DATABASE_URL and PGDATABASE are both unset", {
      hint: "export DATABASE_URL=postgres://user@host:5432/dbname (password via PGPASSWORD or ~/.pgpass)",
      exitCode: 2,
    });
  const params: Record<string, string> = {};
  for (const [name, envName] of Object.entries(LIBPQ_ENV)) {
    const v = env[envName];
    if (v) params[name] = v;
  }
  return {
    host: env.PGHOST || undefined,
    port: env.PGPORT ? Number(env.PGPORT) : undefined,
    user: env.PGUSER || undefined,
    password: undefined,
    database,
    params,
  };
}

/**
 * The environment for a libpq child (pg_dump): the parent's environment minus any DATABASE_URL / PG*
 * (so nothing stale leaks in), plus exactly this connection. Secrets travel here, never in argv.
 */
export function libpqEnv(info: ConnInfo, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith("PG") && k !== "DATABASE_URL") env[k] = v;
  if (base.PGPASSFILE) env.PGPASSFILE = base.PGPASSFILE;
  if (info.host) env.PGHOST = info.host;
  if (info.port) env.PGPORT = String(info.port);
  if (info.user) env.PGUSER = info.user;
  if (info.password) env.PGPASSWORD = info.password;
  env.PGDATABASE = info.database;
  for (const [k, v] of Object.entries(info.params)) {
    const name = LIBPQ_ENV[k];
    if (name) env[name] = v;
  }
  return env;
}

/**
 * How long a node-postgres connect may take, in ms: the URL's `connect_timeout` (seconds, as libpq; 0 =
 * no limit), else 30 s. node-postgres has no limit of its own, so a host that drops packets (a dead
 * primary behind DATABASE_URL, mid-incident) held a restore's target checks for the kernel's ~2 minutes
 * of TCP retries, and one that accepts but never answers held them for ever.
 */
export const DEFAULT_CONNECT_TIMEOUT_S = 30;

/** node-postgres client config for the same connection. */
export function clientConfig(info: ConnInfo): ClientConfig {
  const timeout = info.params.connect_timeout;
  const seconds =
    timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) : DEFAULT_CONNECT_TIMEOUT_S;
  const config: ClientConfig = {
    database: info.database,
    application_name: "rampart",
    connectionTimeoutMillis: seconds * 1000,
  };
  if (info.host) config.host = info.host;
  if (info.port) config.port = info.port;
  if (info.user) config.user = info.user;
  if (info.password) config.password = info.password;
  const mode = info.params.sslmode;
  if (mode && mode !== "disable" && mode !== "allow" && mode !== "prefer") {
    const verify = mode === "verify-ca" || mode === "verify-full";
    const ca = info.params.sslrootcert ? readFileSync(info.params.sslrootcert, "utf8") : undefined;
    config.ssl = { rejectUnauthorized: verify, ...(ca ? { ca } : {}) };
  }
  return config;
}

/** host:port/db for logs and messages: never the password. */
export function describeConn(info: ConnInfo): string {
  return `${info.host ?? "localhost"}${info.port ? `:${info.port}` : ""}/${info.database}`;
}
