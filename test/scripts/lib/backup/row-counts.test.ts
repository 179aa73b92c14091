// Which tables' counts the manifest takes from the dump, and which it counts with SQL, during or after it.
import { describe, expect, it } from "vitest";
import { manifestRowCounts } from "../../../../scripts/lib/backup/row-counts.ts";
import type { UserTable } from "../../../../scripts/lib/pg/session.ts";

const table = (name: string, oid: number, inherited = false): UserTable => {
  const [schema = "", rel = ""] = name.split(".");
  return { name, schema, table: rel, oid, inherited };
};
const tables = [
  table('"Ü"."a b"', 16401),
  table("public.excluded", 16402),
  table("public.parent", 16403, true),
];
const never = () => Promise.reject(new Error("must not be called"));

describe("manifestRowCounts", () => {
  it("keeps counts taken during the dump, takes the dump's rows by oid, counts only the rest after it", async () => {
    const fromDump = new Map([
      [16401, 7],
      [16403, 2], // the parent's own rows: its count during the dump (with children) wins
      [17000, 3], // an extension's table: not one the manifest counts
    ]);
    const asked: string[][] = [];
    const rows = await manifestRowCounts(tables, { "public.parent": 5 }, fromDump, async (missing) => {
      asked.push(missing.map((t) => t.name));
      return { "public.excluded": 42 };
    });
    expect(asked).toEqual([["public.excluded"]]);
    expect(rows).toEqual({
      counts: { '"Ü"."a b"': 7, "public.excluded": 42, "public.parent": 5 },
      fromDump: 1,
      withSql: 1,
      afterDump: 1,
    });
    expect(Object.keys(rows.counts)).toEqual(tables.map((t) => t.name));
  });

  it("needs nothing after the dump when everything was counted during it, or is in the dump", async () => {
    const early = Object.fromEntries(tables.map((t, i) => [t.name, i]));
    expect(await manifestRowCounts(tables, early, null, never)).toMatchObject({
      counts: early,
      fromDump: 0,
      withSql: 3,
      afterDump: 0,
    });
    const all = new Map(tables.map((t) => [t.oid, 1]));
    expect(await manifestRowCounts(tables, {}, all, never)).toMatchObject({ fromDump: 3, withSql: 0 });
  });

  it("counts every table after the dump when the archive could not be followed", async () => {
    const rows = await manifestRowCounts(tables, {}, null, async (missing) =>
      Object.fromEntries(missing.map((t) => [t.name, 1])),
    );
    expect(rows).toMatchObject({ fromDump: 0, withSql: 0, afterDump: 3 });
  });

  it("fails rather than record a table without a count", async () => {
    await expect(manifestRowCounts(tables, {}, null, async () => ({}))).rejects.toThrow(
      'no row count for table "Ü"."a b"',
    );
  });
});
