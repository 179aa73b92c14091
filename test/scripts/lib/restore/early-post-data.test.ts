// Which post-data entries a restore may run before all data is in (a table's own indexes and keys), and
// the order in which they become ready as their tables' data comes in.
import { describe, expect, it } from "vitest";
import { SECTION, type TocEntry } from "../../../../scripts/lib/restore/archive-scan.ts";
import { EarlyPostData, earlyPostData } from "../../../../scripts/lib/restore/early-post-data.ts";

const entry = (dumpId: number, desc: string, section: number, dependencies: number[] = []): TocEntry => ({
  dumpId,
  hadDumper: desc === "TABLE DATA",
  oid: 16000 + dumpId,
  desc,
  namespace: "public",
  tag: `e${dumpId}`,
  section,
  dependencies,
  offsetAt: 0,
  offsetFlag: 1,
});

// Two tables with data (a: 1 → 11, b: 2 → 12), a partitioned parent without data (3), a function (4).
const TOC = [
  entry(1, "TABLE", SECTION.preData),
  entry(2, "TABLE", SECTION.preData),
  entry(3, "TABLE", SECTION.preData),
  entry(4, "FUNCTION", SECTION.preData),
  entry(11, "TABLE DATA", SECTION.data, [1]),
  entry(12, "TABLE DATA", SECTION.data, [2]),
  entry(21, "CONSTRAINT", SECTION.postData, [1]), // a's primary key
  entry(22, "INDEX", SECTION.postData, [2, 4]), // b's expression index using the function
  entry(23, "FK CONSTRAINT", SECTION.postData, [2, 1, 21]), // reads both tables: final run
  entry(24, "INDEX", SECTION.postData, [3]), // on the parent: nothing to wait for, final run
  entry(25, "INDEX", SECTION.postData, [1, 2]), // hypothetical: needs both tables' data
  entry(26, "CONSTRAINT", SECTION.postData, [1, 99]), // depends on an entry not in the archive
  entry(27, "INDEX", SECTION.postData, [1, 21]), // depends on another post-data entry
  entry(28, "TRIGGER", SECTION.postData, [1]),
];

describe("earlyPostData", () => {
  it("plans indexes and constraints whose dependencies are pre-data or loaded tables", () => {
    const plan = earlyPostData(TOC, new Set([11, 12]));
    expect([...plan.entries()].sort(([a], [b]) => a - b)).toEqual([
      [21, [11]],
      [22, [12]],
      [25, [11, 12]],
    ]);
  });

  it("does not wait for data the restore does not load", () => {
    // b's data is not loaded: its table is then like any pre-data entry, and its index needs nothing.
    const plan = earlyPostData(TOC, new Set([11]));
    expect(plan.get(22)).toBeUndefined();
    expect(plan.get(25)).toEqual([11]);
  });
});

describe("EarlyPostData", () => {
  it("hands out each entry once, when the last data it needs is loaded", () => {
    const early = new EarlyPostData(earlyPostData(TOC, new Set([11, 12])));
    expect(early.take()).toEqual([]);
    early.loaded(12);
    expect(early.take()).toEqual([22]);
    expect(early.take()).toEqual([]);
    early.loaded(11);
    expect(early.take()).toEqual([21, 25]);
    early.loaded(11); // a second report changes nothing
    expect(early.take()).toEqual([]);
  });
});
