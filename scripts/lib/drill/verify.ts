import pg from "pg";
import type { Posture } from "../../../posture/index.ts";
import type { Manifest } from "../manifest.ts";
import { type ConnInfo, clientConfig } from "../pg/conninfo.ts";
import type { Check, TableResult } from "./checks.ts";

type VerifySql = Posture["drills"]["verify"][number];

/**
 * Every table the manifest lists must exist in the restored database with exactly the manifest's row count
 * (the backup counted them inside the dump's snapshot, so any difference is lost or extra data). Table keys
 * are quote_ident(schema).quote_ident(table) on both sides; counts run from catalog names, never from the
 * manifest's text.
 */
export async function compareTables(
  conn: ConnInfo,
  manifest: Manifest,
): Promise<{ checks: Check[]; tables: TableResult[] }> {
  const client = new pg.Client(clientConfig(conn));
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; sql: string }>(
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as key,
              format('select count(*) as n from %I.%I', n.nspname, c.relname) as sql
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')`,
    );
    const restored = new Map(rows.map((r) => [r.key, r.sql]));
    const tables: TableResult[] = [];
    for (const [table, expected] of Object.entries(manifest.tables).sort(([a], [b]) => a.localeCompare(b))) {
      const sql = restored.get(table);
      const actual = sql ? Number((await client.query<{ n: string }>(sql)).rows[0]?.n) : null;
      tables.push({ table, expected, actual });
    }
    const missing = tables.filter((t) => t.actual === null);
    const differ = tables.filter((t) => t.actual !== null && t.actual !== t.expected);
    return {
      tables,
      checks: [
        {
          kind: "tables",
          name: "every backed-up table exists",
          ok: missing.length === 0,
          detail: missing.length
            ? `missing: ${missing.map((t) => t.table).join(", ")}`
            : `${tables.length} tables present`,
        },
        {
          kind: "row-counts",
          name: "row counts equal the manifest",
          ok: differ.length === 0,
          detail: differ.length
            ? differ.map((t) => `${t.table}: manifest ${t.expected}, restored ${t.actual}`).join("; ")
            : `${tables.reduce((s, t) => s + t.expected, 0)} rows in ${tables.length} tables`,
        },
      ],
    };
  } finally {
    await client.end();
  }
}

/**
 * The posture's application checks (drills.verify), each in a read-only transaction with a timeout: one row,
 * one column, compared as text with `expect`. A query error fails that check, not the whole drill run.
 */
export async function runVerifySql(conn: ConnInfo, checks: readonly VerifySql[]): Promise<Check[]> {
  if (checks.length === 0) return [];
  const client = new pg.Client(clientConfig(conn));
  await client.connect();
  try {
    const out: Check[] = [];
    for (const v of checks) {
      await client.query("begin read only");
      try {
        await client.query("set local statement_timeout = '5min'");
        const res = await client.query({ text: v.sql, rowMode: "array" });
        const value = (res.rows[0] as unknown[] | undefined)?.[0];
        const got = value === null || value === undefined ? "null" : String(value);
        const ok = res.rows.length === 1 && got === String(v.expect);
        out.push({
          kind: "verify-sql",
          name: v.name,
          ok,
          detail: `expected ${String(v.expect)}, got ${got}`,
        });
      } catch (e) {
        out.push({
          kind: "verify-sql",
          name: v.name,
          ok: false,
          detail: `query failed: ${(e as Error).message}`,
        });
      } finally {
        await client.query("rollback");
      }
    }
    return out;
  } finally {
    await client.end();
  }
}
