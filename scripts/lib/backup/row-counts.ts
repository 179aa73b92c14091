import type { UserTable } from "../pg/session.ts";
import { tableKey } from "./seek-index.ts";

export type RowCounts = {
  /** Rows per table (manifest names), in the order of `tables`. */
  counts: Record<string, number>;
  /** How many were read from the dump, and how many counted with SQL. */
  fromDump: number;
  withSql: number;
};

/**
 * The manifest's row counts: taken from the dump itself where it holds the table's data block
 * (`fromDump`, see SeekIndexer.tableRows), the others counted with `countWithSql` in the snapshot — all of
 * them when the archive could not be followed (`fromDump` null).
 */
export async function manifestRowCounts(
  tables: readonly UserTable[],
  fromDump: ReadonlyMap<string, number> | null,
  countWithSql: (missing: UserTable[]) => Promise<Record<string, number>>,
): Promise<RowCounts> {
  const inDump = (t: UserTable) => fromDump?.get(tableKey(t.schema, t.table));
  const missing = tables.filter((t) => inDump(t) === undefined);
  const counted = missing.length > 0 ? await countWithSql(missing) : {};
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const n = inDump(t) ?? counted[t.name];
    if (n === undefined) throw new Error(`no row count for table ${t.name}`);
    counts[t.name] = n;
  }
  return { counts, fromDump: tables.length - missing.length, withSql: missing.length };
}
