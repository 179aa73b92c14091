// Manifest table keys (quote_ident(schema).quote_ident(name)) back to the names pg_dump's TOC carries, so a
// restore can start with the biggest tables.
import { describe, expect, it } from "vitest";
import { splitQualified } from "../../../../scripts/lib/restore/qualified-name.ts";

describe("splitQualified", () => {
  it("undoes quote_ident on both parts", () => {
    expect(splitQualified("public.docs")).toEqual(["public", "docs"]);
    expect(splitQualified('public."Docs"')).toEqual(["public", "Docs"]);
    expect(splitQualified('"Ünïcode Schema"."Weird ""Table"". name"')).toEqual([
      "Ünïcode Schema",
      'Weird "Table". name',
    ]);
    expect(splitQualified('"a.b".c')).toEqual(["a.b", "c"]);
  });

  it("refuses what is not exactly two identifiers", () => {
    for (const key of ["", "docs", "a.b.c", '"open.x', '"a"b.c']) expect(splitQualified(key)).toBeNull();
  });
});
