// The archive scanner's row counts: pg_dump writes one chunk per COPY row and then a `\.` chunk that is not
// a row; the count must not depend on how the bytes are cut into pushes, and a block written any other way
// has no count (its rows are then counted with SQL). The archive is built here by the
// layout archive-scan.ts documents (version 1.14, 4-byte ints, 8-byte offsets).
import { describe, expect, it } from "vitest";
import { SeekIndexer } from "../../../../scripts/lib/backup/seek-index.ts";
import {
  ArchiveScanner,
  BLK_BLOBS,
  BLK_DATA,
  SECTION,
} from "../../../../scripts/lib/restore/archive-scan.ts";

const int = (v: number) => {
  const b = Buffer.alloc(5);
  b[0] = v < 0 ? 1 : 0;
  b.writeUInt32LE(Math.abs(v), 1);
  return b;
};
const str = (s: string | null) =>
  s === null ? int(-1) : Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s)]);

type Entry = { dumpId: number; oid: number; desc: string; namespace: string; tag: string };

function header(entries: Entry[]): Buffer {
  const parts = [Buffer.from("PGDMP"), Buffer.from([1, 14, 0, 4, 8, 1]), int(0)];
  for (let i = 0; i < 7; i++) parts.push(int(0));
  parts.push(str("db"), str("15.0"), str("15.0"), int(entries.length));
  for (const e of entries) {
    parts.push(
      int(e.dumpId),
      int(1),
      str("0"),
      str(String(e.oid)),
      str(e.tag),
      str(e.desc),
      int(SECTION.data),
    );
    parts.push(str(""), str(""), str(""), str(e.namespace), str(""), str(""), str(""), str("false"));
    parts.push(str(null), Buffer.from([1]), Buffer.alloc(8)); // no dependencies; offset not set
  }
  return Buffer.concat(parts);
}

const dataBlock = (dumpId: number, chunks: string[]) =>
  Buffer.concat([Buffer.from([BLK_DATA]), int(dumpId), ...chunks.map(str), int(0)]);

const COPY_END = "\\.\n\n\n";

/** Rows per dumpId the scanner reports when fed `archive` in pieces of `piece` bytes. */
function scan(archive: Buffer, piece: number): Map<number, number | null> {
  const rows = new Map<number, number | null>();
  const s = new ArchiveScanner({ toc() {}, blockStart() {}, blockEnd: (id, _end, n) => rows.set(id, n) });
  for (let at = 0; at < archive.length; at += piece) s.push(archive.subarray(at, at + piece));
  s.end();
  return rows;
}

const entries: Entry[] = [
  { dumpId: 10, oid: 16410, desc: "TABLE DATA", namespace: "public", tag: "accounts" },
  { dumpId: 11, oid: 16411, desc: "TABLE DATA", namespace: "Ünïcode", tag: 'We"ird' },
  { dumpId: 12, oid: 16412, desc: "TABLE DATA", namespace: "public", tag: "empty" },
  { dumpId: 13, oid: 16413, desc: "TABLE DATA", namespace: "public", tag: "no_terminator" },
  { dumpId: 14, oid: 0, desc: "BLOBS", namespace: "", tag: "BLOBS" },
  { dumpId: 15, oid: 16415, desc: "TABLE DATA", namespace: "public", tag: "two_rows_a_chunk" },
];
const archive = Buffer.concat([
  header(entries),
  // Rows of the terminator's length and of its first bytes must count as rows.
  dataBlock(10, ["1\tab\n", "\\\\.\n", "\\.\n\n", "3\tx\n", COPY_END]),
  dataBlock(11, ["ü\n", "\\.\nx\n", COPY_END]),
  dataBlock(12, [COPY_END]),
  // A pg_dump that writes no `\.` chunk, or more or less than one line per chunk (one that buffers its
  // writes): its rows cannot be told from its chunks.
  dataBlock(13, ["a\n", "b\n"]),
  dataBlock(15, ["a\n", "b\nc", "\n", COPY_END]),
  // Large objects: oid, chunks, 0 … then 0; no rows.
  Buffer.concat([Buffer.from([BLK_BLOBS]), int(14), int(16385), str("lo-bytes"), int(0), int(0)]),
]);

describe("ArchiveScanner rows", () => {
  it("counts each data block's rows: chunks minus pg_dump's `\\.` chunk, however the bytes arrive", () => {
    const expected = new Map<number, number | null>([
      [10, 4],
      [11, 2],
      [12, 0],
      [13, null],
      [14, 0],
      [15, null],
    ]);
    for (const piece of [1, 2, 3, 7, 64, archive.length]) expect(scan(archive, piece)).toEqual(expected);
  });
});

describe("SeekIndexer.tableRows", () => {
  it("gives the rows of each TABLE DATA entry that has a count, by its table's oid", () => {
    const indexer = new SeekIndexer();
    for (let at = 0; at < archive.length; at += 100) {
      const n = Math.min(100, archive.length - at);
      indexer.input(archive.subarray(at, at + n));
      indexer.frame(n, n);
    }
    expect(indexer.tableRows()).toEqual(
      new Map([
        [16410, 4],
        [16411, 2],
        [16412, 0],
      ]),
    );
    // Its seek blocks from the same walk, largest first.
    expect(indexer.result()?.map((b) => b.dumpId)).toEqual([10, 15, 11, 14, 13, 12]);
  });

  it("gives no counts for an archive it could not follow to its end", () => {
    const truncated = new SeekIndexer();
    truncated.input(archive.subarray(0, archive.length - 3));
    expect(truncated.tableRows()).toBeNull();
    const foreign = new SeekIndexer();
    foreign.input(Buffer.concat([Buffer.from("not an archive"), Buffer.alloc(5000)]));
    expect(foreign.tableRows()).toBeNull();
    expect(foreign.result()).toBeNull();
  });
});
