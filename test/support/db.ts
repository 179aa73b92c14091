// Reading a test database back: exact row counts and content checksums per table (keyed like a manifest's
// `tables`: quote_ident(schema).quote_ident(table)), one-off SQL, and libpq env for the stock client tools.
import pg from "pg";

/** Run one statement on its own connection. */
export async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

// Ordinary tables and partitions (not partitioned parents: no double count), no catalogs, no extension
// members: the tables `rampart backup` records.
const USER_TABLES = `from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`;

/** For each user table, run the query `perTable` builds (format() args: schema, table) and keep its one value. */
async function perTable<T>(
  url: string,
  perTable: string,
  read: (v: unknown) => T,
): Promise<Record<string, T>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; sql: string }>(
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
              format(${perTable}, n.nspname, c.relname) as sql
         ${USER_TABLES} order by 1`,
    );
    const out: Record<string, T> = {};
    for (const r of rows) out[r.name] = read((await client.query<{ v: unknown }>(r.sql)).rows[0]?.v);
    return out;
  } finally {
    await client.end();
  }
}

/** Exact row counts of every user table, as `rampart backup` records them in the manifest. */
export const tableCounts = (url: string): Promise<Record<string, number>> =>
  perTable(url, `'select count(*) as v from %I.%I'`, Number);

/** Per-table content checksums (md5 over every row's text, ordered): equal ⇔ same data. */
export const tableChecksums = (url: string): Promise<Record<string, string>> =>
  perTable(
    url,
    `'select md5(coalesce(string_agg(t::text, E''\\n'' order by t::text), '''')) as v from only %I.%I t'`,
    String,
  );

/** libpq environment (PGHOST…PGDATABASE) for stock tools like pg_dump, from a connection URL. */
export function pgEnv(url: string): { PGHOST: string; PGPORT: string; PGUSER: string; PGDATABASE: string } {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || "5432",
    PGUSER: decodeURIComponent(u.username),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}
