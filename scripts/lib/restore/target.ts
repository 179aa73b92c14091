import pg from "pg";
import { UserError } from "../../../posture/errors.ts";
import type { Manifest } from "../manifest.ts";
import { type ConnInfo, clientConfig, describeConn } from "../pg/conninfo.ts";
import { resolveTarget } from "./connection.ts";

/** What a target database is, as far as restore safety is concerned. Recorded in restore evidence. */
export type TargetIdentity = {
  /** pg_control_system().system_identifier: unique per cluster (null when the role may not read it). */
  systemIdentifier: string | null;
  serverVersion: string;
  database: string;
  host: string;
  port: number;
  /** Relations outside the system schemas, and extensions other than plpgsql. Empty ⇔ both are empty. */
  relations: number;
  extensions: string[];
};

export async function inspectTarget(t: ConnInfo): Promise<TargetIdentity> {
  const client = new pg.Client(clientConfig(t));
  await client.connect().catch((e: Error) => {
    throw new UserError(`cannot connect to the target ${describeConn(t)}: ${e.message}`, {
      hint: "create the database first (createdb), and pass the password via PGPASSWORD or ~/.pgpass",
    });
  });
  try {
    const sysid = await client
      .query<{ id: string }>("select system_identifier::text as id from pg_control_system()")
      .then((r) => r.rows[0]?.id ?? null)
      .catch(() => null);
    const { rows } = await client.query<{ version: string; relations: string; extensions: string[] }>(`
      select current_setting('server_version') as version,
        (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname not in ('pg_catalog', 'information_schema')
            and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%') as relations,
        (select coalesce(array_agg(extname::text order by extname), '{}') from pg_extension where extname <> 'plpgsql') as extensions`);
    const row = rows[0];
    if (!row) throw new Error("target inspection returned no row");
    return {
      systemIdentifier: sysid,
      serverVersion: row.version,
      database: t.database,
      host: t.host ?? "localhost",
      port: t.port ?? 5432,
      relations: Number(row.relations),
      extensions: row.extensions,
    };
  } finally {
    await client.end();
  }
}

export const isEmpty = (t: TargetIdentity) => t.relations === 0 && t.extensions.length === 0;

/** Where the backup came from, when known: a `source` block in the manifest (newer backups) or DATABASE_URL. */
export type SourceHint = { systemIdentifier?: string | null; database: string };

/**
 * Is the target the backup's own source database? The manifest (v1) names the database but not the cluster,
 * so: same system identifier as the manifest's optional `source` block or as DATABASE_URL (the backup job's
 * database), with the same database name. Without a cluster identity to compare, a non-empty target with the
 * source's name that already holds every backed-up table is treated as the source — the dangerous case is
 * `--clean` over production, and that is exactly what this catches.
 */
export function looksLikeSource(
  target: TargetIdentity,
  manifest: Manifest,
  sources: SourceHint[],
  tablesPresent: number,
): string | null {
  for (const s of sources) {
    if (
      s.systemIdentifier &&
      target.systemIdentifier === s.systemIdentifier &&
      s.database === target.database
    )
      return `same cluster (system identifier ${s.systemIdentifier}) and database name "${target.database}" as the backup's source`;
  }
  const tables = Object.keys(manifest.tables).length;
  if (target.database === manifest.database && tables > 0 && tablesPresent === tables)
    return `database "${target.database}" has the source's name and already holds all ${tables} of its tables`;
  return null;
}

/** The cluster behind DATABASE_URL, if set and reachable: the backup job's source by convention. */
export async function databaseUrlSource(): Promise<SourceHint | null> {
  const url = process.env.DATABASE_URL;
  if (!url) return null;
  try {
    const id = await inspectTarget(resolveTarget(url));
    return { systemIdentifier: id.systemIdentifier, database: id.database };
  } catch {
    return null;
  }
}

/** How many of the manifest's tables exist in the target (keys are quote_ident(schema).quote_ident(table)). */
export async function countPresentTables(t: ConnInfo, manifest: Manifest): Promise<number> {
  const keys = Object.keys(manifest.tables);
  if (keys.length === 0) return 0;
  const client = new pg.Client(clientConfig(t));
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where quote_ident(n.nspname) || '.' || quote_ident(c.relname) = any($1::text[])`,
      [keys],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
