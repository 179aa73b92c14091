import { readSync } from "node:fs";
import { open } from "node:fs/promises";

/**
 * `rampart backup` streams pg_dump to stdout, and a custom-format archive written to a pipe has no data
 * offsets in its table of contents (pg_dump can only seek back to fill them in when writing a file). Parallel
 * pg_restore then makes every worker skip through the data chunk by chunk to find its table — measured 1.4–1.9x
 * slower than the same archive with offsets (bench/restore.ts). This does what pg_dump does on a seekable
 * file: scan the data blocks once, then write each entry's offset into the TOC in place (fixed-size fields).
 *
 * Format (pg_backup_archiver.c, pg_backup_custom.c): header, TOC, then blocks `byte type, int dumpId, chunks`
 * where a chunk is `int len, len bytes` and `int 0` ends a block (large objects: `int oid, chunks` per object,
 * `int 0` after the last). Supported archive versions 1.14 (PostgreSQL 12–15) and 1.15 (16); anything else
 * is left untouched, as is any archive that does not parse exactly — pg_restore still works, only slower.
 */
const BLK_DATA = 1;
const BLK_BLOBS = 3;
const OFFSET_NOT_SET = 1;
const OFFSET_SET = 2;
const OFFSET_NO_DATA = 3;

export type OffsetResult = "patched" | "already" | "unsupported";

class Unsupported extends Error {}

/** Positional reads through a 1 MiB window; synchronous, because a dump has millions of tiny chunks to step over. */
class Reader {
  pos = 0;
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  readonly size: number;
  private readonly fd: number;
  intSize = 4;

  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.size) throw new Unsupported("truncated archive");
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const len = Math.max(n, 1 << 20);
    const buf = Buffer.alloc(Math.min(len, this.size - this.pos));
    const bytesRead = readSync(this.fd, buf, 0, buf.length, this.pos);
    this.buf = buf.subarray(0, bytesRead);
    this.bufStart = this.pos;
    if (bytesRead < n) throw new Unsupported("short read");
  }

  bytes(n: number): Buffer {
    this.ensure(n);
    const out = this.buf.subarray(this.pos - this.bufStart, this.pos - this.bufStart + n);
    this.pos += n;
    return out;
  }

  byte(): number {
    return this.bytes(1)[0] as number;
  }

  /** ReadInt: a sign byte, then intSize bytes, least significant first. */
  int(): number {
    const sign = this.byte();
    const b = this.bytes(this.intSize);
    let v = 0;
    for (let i = b.length - 1; i >= 0; i--) v = v * 256 + (b[i] as number);
    return sign ? -v : v;
  }

  str(): string | null {
    const len = this.int();
    if (len < 0) return null;
    return this.bytes(len).toString("utf8");
  }

  skip(n: number): void {
    this.pos += n;
    if (this.pos > this.size) throw new Unsupported("truncated archive");
  }
}

export async function addDataOffsets(path: string): Promise<OffsetResult> {
  const fh = await open(path, "r+");
  try {
    const r = new Reader(fh.fd, (await fh.stat()).size);
    if (r.bytes(5).toString("latin1") !== "PGDMP") return "unsupported";
    const [vmaj, vmin] = [r.byte(), r.byte()];
    r.byte(); // revision
    r.intSize = r.byte();
    const offSize = r.byte();
    const format = r.byte();
    if (vmaj !== 1 || (vmin !== 14 && vmin !== 15) || format !== 1 || offSize > 8 || r.intSize > 6)
      return "unsupported";
    if (vmin === 14)
      r.int(); // compression level
    else r.byte(); // compression algorithm
    for (let i = 0; i < 7; i++) r.int(); // creation time
    for (let i = 0; i < 3; i++) r.str(); // database, server version, pg_dump version

    // TOC (WriteToc): remember where each entry's fixed-size offset field is.
    const fields = new Map<number, { at: number; flag: number }>();
    const count = r.int();
    for (let e = 0; e < count; e++) {
      const dumpId = r.int();
      r.int(); // has a data dumper
      for (let i = 0; i < 4; i++) r.str(); // tableoid, oid, tag, desc
      r.int(); // section
      for (let i = 0; i < 8; i++) r.str(); // defn, dropStmt, copyStmt, namespace, tablespace, tableam, owner, "false"
      while (r.str() !== null); // dependencies, NULL-terminated
      const at = r.pos;
      const flag = r.byte();
      r.skip(offSize);
      if (flag < OFFSET_NOT_SET || flag > OFFSET_NO_DATA) return "unsupported";
      fields.set(dumpId, { at, flag });
    }
    if (![...fields.values()].some((f) => f.flag === OFFSET_NOT_SET)) return "already";

    // Data blocks follow the TOC to the end of the file.
    const offsets = new Map<number, number>();
    const skipChunks = () => {
      for (let len = r.int(); len !== 0; len = r.int()) {
        if (len < 0) throw new Unsupported("negative chunk length");
        r.skip(len);
      }
    };
    while (r.pos < r.size) {
      const at = r.pos;
      const type = r.byte();
      const dumpId = r.int();
      if (type === BLK_DATA) skipChunks();
      else if (type === BLK_BLOBS) while (r.int() !== 0) skipChunks();
      else return "unsupported";
      if (!fields.has(dumpId)) return "unsupported";
      offsets.set(dumpId, at);
    }

    const field = Buffer.alloc(1 + offSize);
    for (const [dumpId, f] of fields) {
      const offset = offsets.get(dumpId);
      if (f.flag !== OFFSET_NOT_SET || offset === undefined) continue;
      field[0] = OFFSET_SET;
      let o = offset;
      for (let i = 0; i < offSize; i++) {
        field[1 + i] = o % 256;
        o = Math.floor(o / 256);
      }
      await fh.write(field, 0, field.length, f.at);
    }
    return "patched";
  } catch (e) {
    if (e instanceof Unsupported) return "unsupported";
    throw e;
  } finally {
    await fh.close();
  }
}
