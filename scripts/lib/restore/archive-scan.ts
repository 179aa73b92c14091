/**
 * Incremental reader of pg_dump's custom-format archive (pg_backup_archiver.c, pg_backup_custom.c), fed the
 * bytes in file order as they are decoded. It finds the header and table of contents, then where each data
 * block starts and ends, without holding more than the TOC in memory. Used to restore while decoding
 * (sectioned.ts) and to write the data offsets a piped pg_dump could not (archive-offsets.ts).
 *
 * Layout: header, TOC, then blocks `byte type, int dumpId, chunks` where a chunk is `int len, len bytes` and
 * `int 0` ends a block (large objects: `int oid, chunks` per object, `int 0` after the last). An int is a
 * sign byte then intSize bytes, least significant first. Archive versions 1.14 (PostgreSQL 12–15) and 1.15
 * (16) are understood; anything else is "unsupported" and callers fall back to plain pg_restore on the file.
 */
export const BLK_DATA = 1;
export const BLK_BLOBS = 3;
export const OFFSET_NOT_SET = 1;
export const OFFSET_SET = 2;
export const OFFSET_NO_DATA = 3;
/** teSection in pg_backup.h. */
export const SECTION = { none: 1, preData: 2, data: 3, postData: 4 } as const;

export type TocEntry = {
  dumpId: number;
  hadDumper: boolean;
  /** The catalog oid pg_dump gives the entry; a TABLE DATA entry carries its table's (makeTableDataInfo). */
  oid: number;
  desc: string;
  namespace: string;
  /** The object's name (a table's, for TABLE DATA). */
  tag: string;
  /** The section pg_restore's --section filter puts it in (SECTION_NONE entries follow the one before). */
  section: number;
  /** dumpIds of the entries this one depends on (pg_dump's dependency list). */
  dependencies: number[];
  /** File position of the entry's offset field: a flag byte, then offSize bytes. */
  offsetAt: number;
  offsetFlag: number;
};

export type Toc = {
  offSize: number;
  intSize: number;
  entries: TocEntry[];
  /** Header and TOC end here; data blocks follow. */
  end: number;
};

/** Whether archives of pg_dump `major` are ones this scanner reads (1.14: 12–15, 1.15: 16). */
export const readsArchivesOf = (major: number): boolean => major >= 12 && major <= 16;

export class Unsupported extends Error {}
class NeedMore extends Error {}

/** Reads from one in-memory buffer; NeedMore when it runs out (the TOC is not all here yet). */
class BufReader {
  pos = 0;
  intSize = 4;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new NeedMore();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  byte(): number {
    return this.bytes(1)[0] as number;
  }
  int(): number {
    const sign = this.byte();
    const b = this.bytes(this.intSize);
    let v = 0;
    for (let i = b.length - 1; i >= 0; i--) v = v * 256 + (b[i] as number);
    return sign ? -v : v;
  }
  str(): string | null {
    const len = this.int();
    return len < 0 ? null : this.bytes(len).toString("utf8");
  }
}

/** Parse header and TOC from the archive's first bytes; null when more bytes are needed. */
export function parseToc(buf: Buffer): Toc | null {
  const r = new BufReader(buf);
  try {
    if (r.bytes(5).toString("latin1") !== "PGDMP") throw new Unsupported("not a pg_dump archive");
    const [vmaj, vmin] = [r.byte(), r.byte()];
    r.byte(); // revision
    r.intSize = r.byte();
    const offSize = r.byte();
    const format = r.byte();
    if (vmaj !== 1 || (vmin !== 14 && vmin !== 15) || format !== 1 || offSize > 8 || r.intSize > 6)
      throw new Unsupported(`archive version 1.${vmin} format ${format}`);
    if (vmin === 14)
      r.int(); // compression level
    else r.byte(); // compression algorithm
    for (let i = 0; i < 7; i++) r.int(); // creation time
    for (let i = 0; i < 3; i++) r.str(); // database, server version, pg_dump version
    const entries: TocEntry[] = [];
    const count = r.int();
    let current: number = SECTION.preData;
    for (let e = 0; e < count; e++) {
      const dumpId = r.int();
      const hadDumper = r.int() !== 0;
      r.str(); // tableoid
      const oid = Number(r.str() ?? 0);
      const tag = r.str() ?? "";
      const desc = r.str() ?? "";
      const section = r.int();
      for (let i = 0; i < 3; i++) r.str(); // defn, dropStmt, copyStmt
      const namespace = r.str() ?? "";
      for (let i = 0; i < 4; i++) r.str(); // tablespace, tableam, owner, "false"
      const dependencies: number[] = [];
      for (let dep = r.str(); dep !== null; dep = r.str()) dependencies.push(Number(dep)); // NULL-terminated
      const offsetAt = r.pos;
      const offsetFlag = r.byte();
      r.bytes(offSize);
      if (offsetFlag < OFFSET_NOT_SET || offsetFlag > OFFSET_NO_DATA) throw new Unsupported("offset flag");
      if (section < SECTION.none || section > SECTION.postData) throw new Unsupported("section");
      if (section !== SECTION.none) current = section;
      entries.push({
        dumpId,
        hadDumper,
        oid,
        desc,
        namespace,
        tag,
        section: current,
        dependencies,
        offsetAt,
        offsetFlag,
      });
    }
    return { offSize, intSize: r.intSize, entries, end: r.pos };
  } catch (e) {
    if (e instanceof NeedMore) return null;
    throw e;
  }
}

export type ScanEvents = {
  toc(toc: Toc, prefix: Buffer): void;
  blockStart(dumpId: number, at: number): void;
  /**
   * A block ended. `rows`: the COPY rows of a data block. pg_dump 12–16 (the archives understood here)
   * writes each row libpq hands it as one chunk ending in a newline, then `\.` as a chunk of its own,
   * which is not a row. null when the block is not written that way (no `\.` chunk last, or a chunk
   * that is not one line): its rows cannot be told from its chunks. 0 for large objects; null for a block
   * `jump` passed over.
   */
  blockEnd(dumpId: number, end: number, rows: number | null): void;
};

/** The chunk pg_dump writes after a table's last COPY row (archputs in dumpTableData_copy). */
const COPY_END = Buffer.from("\\.\n\n\n", "latin1");
const NEWLINE = 0x0a;

// Block-walk states: what the next int (or block header) means.
const S_BLOCK = 0; // block header: type byte + dumpId int
const S_CHUNK = 1; // chunk length in a data block
const S_LO_CHUNK = 2; // chunk length inside a large object
const S_LO_OID = 3; // next large object's oid (0 ends the block)

/**
 * Feed with `push` in file order, then `end`. Throws Unsupported on anything it does not understand (before
 * the TOC is complete: an archive it cannot follow; after: a malformed archive).
 */
export class ArchiveScanner {
  private head: Buffer[] = [];
  private headBytes = 0;
  private nextTry = 4096;
  private toc: Toc | null = null;
  /** Absolute position of the next byte pushed. */
  private pos = 0;
  private state = S_BLOCK;
  private skip = 0;
  private hdr = Buffer.alloc(16);
  private hdrLen = 0;
  private blockId = 0;
  private inBlock = false;
  private chunks = 0;
  /** How much of the current chunk matched COPY_END so far; -1 once it cannot be COPY_END. */
  private copyEnd = -1;
  /** Every chunk of the current data block so far ended in a newline (one COPY row each). */
  private lines = true;
  private readonly on: ScanEvents;

  constructor(on: ScanEvents) {
    this.on = on;
  }

  push(buf: Buffer): void {
    if (this.toc) {
      this.walk(buf);
      return;
    }
    this.head.push(buf);
    this.headBytes += buf.length;
    if (this.headBytes < this.nextTry) return;
    const all = Buffer.concat(this.head, this.headBytes);
    this.head = [all];
    const toc = parseToc(all);
    if (!toc) {
      this.nextTry = this.headBytes * 2; // re-parse at doubling sizes: linear overall
      return;
    }
    this.begin(toc, all);
  }

  end(): void {
    if (!this.toc && !this.tocFromHead()) throw new Unsupported("truncated archive header");
    if (this.state !== S_BLOCK || this.hdrLen !== 0 || this.skip !== 0 || this.inBlock)
      throw new Unsupported("archive ends inside a data block");
  }

  /**
   * Bytes [at, end) are one whole data block of `dumpId` that is not pushed (decoded elsewhere, from the
   * backup's seek index): report it, and go on at `end`. Only between blocks, at the position reached.
   */
  jump(dumpId: number, at: number, end: number): void {
    // The TOC is parsed at doubling sizes: everything before the block is here, so it must parse now.
    if (!this.toc) this.tocFromHead();
    if (!this.toc || this.state !== S_BLOCK || this.hdrLen !== 0 || this.skip !== 0 || this.inBlock)
      throw new Unsupported(
        `the seek index's block of TOC entry ${dumpId} at ${at} does not start between two blocks`,
      );
    if (this.pos !== at || end <= at)
      throw new Unsupported(
        `the seek index's block of TOC entry ${dumpId} is not at ${at} (the archive is at ${this.pos})`,
      );
    this.on.blockStart(dumpId, at);
    this.on.blockEnd(dumpId, end, null);
    this.pos = end;
  }

  /** Follow an archive from `pos` (a block boundary) on, its TOC already known: checks blocks read elsewhere. */
  resume(toc: Toc, pos: number): void {
    this.toc = toc;
    this.head = [];
    this.pos = pos;
  }

  /** No more bytes come before the TOC is needed: parse it from what is held. False if it is not all here. */
  private tocFromHead(): boolean {
    const all = Buffer.concat(this.head, this.headBytes);
    const toc = parseToc(all);
    if (!toc) return false;
    this.nextTry = Number.POSITIVE_INFINITY;
    this.begin(toc, all);
    return true;
  }

  /** The TOC was found in `all` (everything pushed so far): report it, then follow the data after it. */
  private begin(toc: Toc, all: Buffer): void {
    this.toc = toc;
    this.head = [];
    this.on.toc(toc, Buffer.from(all.subarray(0, toc.end)));
    this.pos = toc.end;
    this.walk(all.subarray(toc.end));
  }

  private walk(buf: Buffer): void {
    const toc = this.toc as Toc;
    const intLen = 1 + toc.intSize;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, n - i);
        if (this.copyEnd >= 0)
          this.copyEnd = buf.compare(COPY_END, this.copyEnd, this.copyEnd + step, i, i + step)
            ? -1
            : this.copyEnd + step;
        this.skip -= step;
        if (this.skip === 0 && this.state === S_CHUNK && buf[i + step - 1] !== NEWLINE) this.lines = false;
        i += step;
        continue;
      }
      const need = this.state === S_BLOCK ? 1 + intLen : intLen;
      let b: Buffer;
      let at: number; // start of the int within b
      if (this.hdrLen === 0 && i + need <= n) {
        b = buf;
        at = i;
        i += need;
      } else {
        const take = Math.min(need - this.hdrLen, n - i);
        buf.copy(this.hdr, this.hdrLen, i, i + take);
        this.hdrLen += take;
        i += take;
        if (this.hdrLen < need) break;
        this.hdrLen = 0;
        b = this.hdr;
        at = 0;
      }
      const here = this.pos + i - need; // file position of what was just read
      if (this.state === S_BLOCK) {
        const type = b[at] as number;
        if (type !== BLK_DATA && type !== BLK_BLOBS) throw new Unsupported(`block type ${type}`);
        this.blockId = readInt(b, at + 1, toc.intSize);
        this.inBlock = true;
        this.chunks = 0;
        this.lines = true;
        this.on.blockStart(this.blockId, here);
        this.state = type === BLK_DATA ? S_CHUNK : S_LO_OID;
        continue;
      }
      const v = readInt(b, at, toc.intSize);
      if (v < 0) throw new Unsupported("negative length");
      if (this.state === S_LO_OID) {
        if (v === 0) this.finishBlock(here + need);
        else this.state = S_LO_CHUNK;
      } else if (v > 0) {
        this.skip = v;
        if (this.state === S_CHUNK) {
          this.chunks++;
          this.copyEnd = v === COPY_END.length ? 0 : -1;
        }
      } else if (this.state === S_LO_CHUNK) this.state = S_LO_OID;
      else this.finishBlock(here + need);
    }
    this.pos += n;
  }

  private finishBlock(end: number): void {
    const largeObjects = this.state === S_LO_OID;
    const rows = this.copyEnd === COPY_END.length && this.lines ? this.chunks - 1 : null;
    this.inBlock = false;
    this.state = S_BLOCK;
    this.chunks = 0;
    this.copyEnd = -1;
    this.on.blockEnd(this.blockId, end, largeObjects ? 0 : rows);
  }
}

function readInt(b: Buffer, at: number, intSize: number): number {
  let v = 0;
  for (let k = intSize; k >= 1; k--) v = v * 256 + (b[at + k] as number);
  return b[at] ? -v : v;
}

/** The TOC's offset field for `offset`: flag OFFSET_SET, then offSize bytes, least significant first. */
export function offsetField(offset: number, offSize: number): Buffer {
  const field = Buffer.alloc(1 + offSize);
  field[0] = OFFSET_SET;
  let o = offset;
  for (let i = 0; i < offSize; i++) {
    field[1 + i] = o % 256;
    o = Math.floor(o / 256);
  }
  return field;
}
