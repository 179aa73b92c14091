import type { UserTable } from "../pg/session.ts";

export type RowCounts = {
  /** Rows per table (manifest names), in the order of `tables`. */
  counts: Record<string, number>;
  /** How many were read from the dump, counted with SQL while it ran, and counted with SQL after it. */
  fromDump: number;
  withSql: number;
  afterDump: number;
};

/**
 * The manifest's row counts. A table counted with SQL while the dump ran (`early`: inheritance parents,
 * whose count(*) includes their children's rows, and every table when nothing followed the archive) keeps
 * that count; the others take the rows of their data block in the dump (`fromDump`, by table oid: see
 * SeekIndexer.tableRows); any table left is counted by `countLate` after the dump.
 */
export async function manifestRowCounts(
  tables: readonly UserTable[],
  early: Readonly<Record<string, number>>,
  fromDump: ReadonlyMap<number, number> | null,
  countLate: (missing: UserTable[]) => Promise<Record<string, number>>,
): Promise<RowCounts> {
  const known = (t: UserTable) => early[t.name] ?? fromDump?.get(t.oid);
  const missing = tables.filter((t) => known(t) === undefined);
  const late = missing.length > 0 ? await countLate(missing) : {};
  const counts: Record<string, number> = {};
  let withSql = 0;
  for (const t of tables) {
    const n = known(t) ?? late[t.name];
    if (n === undefined) throw new Error(`no row count for table ${t.name}`);
    if (early[t.name] !== undefined) withSql++;
    counts[t.name] = n;
  }
  return { counts, fromDump: tables.length - withSql - missing.length, withSql, afterDump: missing.length };
}
