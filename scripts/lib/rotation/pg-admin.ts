import pg from "pg";
import { UserError } from "../../../posture/errors.ts";
import { registerSecret } from "../redact.ts";

/**
 * The admin connection that changes role passwords: RAMPART_ADMIN_DATABASE_URL (a postgres:// URL,
 * password preferably via PGPASSWORD), else the libpq PG* variables. Never a command-line argument.
 * The admin role needs CREATEROLE (or superuser) and ADMIN on the group role.
 */
export async function adminClient(): Promise<pg.Client> {
  const url = requireAdminConnection();
  const client = new pg.Client(url ? { connectionString: url } : {});
  try {
    await client.connect();
  } catch (err) {
    throw new UserError(`cannot connect to Postgres as the rotation admin: ${(err as Error).message}`, {
      hint: "check RAMPART_ADMIN_DATABASE_URL / PG* variables and that the server is reachable",
      cause: err,
    });
  }
  return client;
}

/** Fails early (before a rotation starts) when no admin connection is configured. */
export function requireAdminConnection(): string | undefined {
  const url = process.env.RAMPART_ADMIN_DATABASE_URL;
  registerSecret(process.env.PGPASSWORD);
  if (url) registerSecret(safePassword(url));
  if (!url && !process.env.PGHOST && !process.env.PGDATABASE)
    throw new UserError("no admin connection for Postgres password rotation", {
      hint: [
        "set RAMPART_ADMIN_DATABASE_URL=postgres://admin@host:5432/db (password in PGPASSWORD or ~/.pgpass)",
        "or the PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)",
      ],
      exitCode: 2,
    });
  return url;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Run a statement built server-side with format() so identifiers and literals are quoted by Postgres. */
export async function execFormat(client: pg.Client, template: string, ...args: string[]): Promise<void> {
  const params = args.map((_, i) => `$${i + 1}::text`).join(", ");
  const { rows } = await client.query<{ sql: string }>(
    `select format('${template}', ${params}) as sql`,
    args,
  );
  const sql = rows[0]?.sql;
  if (!sql) throw new Error(`format() returned nothing for ${template}`);
  await client.query(sql);
}
