// Which tables' counts the manifest takes from the dump, and which it counts with SQL.
import { describe, expect, it } from "vitest";
import { manifestRowCounts } from "../../../../scripts/lib/backup/row-counts.ts";
import { tableKey } from "../../../../scripts/lib/backup/seek-index.ts";
import type { UserTable } from "../../../../scripts/lib/pg/session.ts";

const tables: UserTable[] = [
  { name: '"Ü"."a b"', schema: "Ü", table: "a b" },
  { name: "public.excluded", schema: "public", table: "excluded" },
  { name: "public.t", schema: "public", table: "t" },
];

describe("manifestRowCounts", () => {
  it("takes the dump's rows by raw schema and name, and counts only the rest with SQL", async () => {
    const fromDump = new Map([
      [tableKey("Ü", "a b"), 7],
      [tableKey("public", "t"), 0],
      [tableKey("ext", "config"), 3], // an extension's table: not one the manifest counts
    ]);
    const asked: string[][] = [];
    const rows = await manifestRowCounts(tables, fromDump, async (missing) => {
      asked.push(missing.map((t) => t.name));
      return { "public.excluded": 42 };
    });
    expect(asked).toEqual([["public.excluded"]]);
    expect(rows).toEqual({
      counts: { '"Ü"."a b"': 7, "public.excluded": 42, "public.t": 0 },
      fromDump: 2,
      withSql: 1,
    });
    expect(Object.keys(rows.counts)).toEqual(tables.map((t) => t.name));
  });

  it("counts every table with SQL when the archive could not be followed, and none when it holds all", async () => {
    const all = await manifestRowCounts(tables, null, async (missing) =>
      Object.fromEntries(missing.map((t, i) => [t.name, i])),
    );
    expect(all).toMatchObject({ fromDump: 0, withSql: 3 });
    const none = await manifestRowCounts(
      tables,
      new Map(tables.map((t) => [tableKey(t.schema, t.table), 1])),
      () => Promise.reject(new Error("must not be called")),
    );
    expect(none).toMatchObject({ fromDump: 3, withSql: 0 });
  });

  it("fails rather than record a table without a count", async () => {
    await expect(manifestRowCounts(tables, null, async () => ({}))).rejects.toThrow(
      'no row count for table "Ü"."a b"',
    );
  });
});
