import { ArchiveScanner } from "../restore/archive-scan.ts";

/** Largest data blocks recorded: a restore decodes at most one per parallel lane ahead of the rest. */
export const SEEK_BLOCKS = 8;

/** A zstd frame: where its input starts in the archive, and where the frame starts in the compressed stream. */
export type FrameRef = { raw: number; compressed: number };

/**
 * One table's data block in the stored backup: archive bytes [at, end), decodable on their own by starting
 * a decompressor at `from` (the frame holding `at`); decoding after the block resumes at `resume`.
 */
export type SeekBlock = { dumpId: number; at: number; end: number; from: FrameRef; resume: FrameRef };

type Block = { dumpId: number; at: number; end: number };

/**
 * Follows pg_dump's archive while the backup streams (the restore's own scanner) and builds from it:
 * - the manifest's seek index: where each table's data block starts and ends, and from the compressor's
 *   frames where each archive offset can be decoded from. Why: pg_dump writes tables in name order, so a
 *   restore decoding from the start reaches the largest table only after all before it; with the index it
 *   starts that one first.
 * - each table's row count, as the rows of its data block: the very rows the backup holds, read from the
 *   snapshot pg_dump dumps, so the backup's own transaction does not scan every table a second time.
 * Never fails the backup: an archive it cannot follow (or any error of its own) just gives no index and no
 * counts; restores then decode in order, and the backup counts rows with SQL.
 */
export class SeekIndexer {
  private readonly scanner: ArchiveScanner;
  private failed = false;
  private hasToc = false;
  /** Frame starts, one per frame (16 bytes per 2 MiB of archive): raw offsets, then compressed offsets. */
  private frameRaw = new Float64Array(1024);
  private frameCompressed = new Float64Array(1024);
  private frames = 0;
  private rawBytes = 0;
  private compressedBytes = 0;
  private readonly open = new Map<number, number>();
  /** The table oid of each TABLE DATA entry of the TOC, by dumpId. */
  private readonly tableData = new Map<number, number>();
  /** Rows by table oid. */
  private readonly rows = new Map<number, number>();
  private ended = false;
  /** The largest finished blocks, largest first, at most SEEK_BLOCKS. */
  private top: Block[] = [];

  constructor() {
    this.scanner = new ArchiveScanner({
      toc: (toc) => {
        this.hasToc = true;
        for (const e of toc.entries) if (e.desc === "TABLE DATA") this.tableData.set(e.dumpId, e.oid);
      },
      blockStart: (dumpId, at) => {
        this.open.set(dumpId, at);
      },
      blockEnd: (dumpId, end, rows) => {
        const at = this.open.get(dumpId);
        this.open.delete(dumpId);
        if (at !== undefined) this.keep({ dumpId, at, end });
        const table = this.tableData.get(dumpId);
        if (table && rows !== null) this.rows.set(table, rows);
      },
    });
  }

  /** The next raw archive bytes, in order, before they are compressed. */
  input(chunk: Buffer): void {
    if (this.failed) return;
    // Until the TOC is parsed the scanner keeps what it is given, and the dump's blocks are reused once
    // compressed: it gets copies until then (the TOC is small; the data is only walked, never kept).
    this.guard(() => this.scanner.push(this.hasToc ? chunk : Buffer.from(chunk)));
  }

  /** The compressor emitted a frame of `contentBytes` archive bytes as `frameBytes` compressed bytes. */
  frame(contentBytes: number, frameBytes: number): void {
    if (this.frames === this.frameRaw.length) {
      this.frameRaw = grown(this.frameRaw);
      this.frameCompressed = grown(this.frameCompressed);
    }
    this.frameRaw[this.frames] = this.rawBytes;
    this.frameCompressed[this.frames] = this.compressedBytes;
    this.frames++;
    this.rawBytes += contentBytes;
    this.compressedBytes += frameBytes;
  }

  /** After the stream ended: the largest blocks, or null when the archive could not be followed. */
  result(): SeekBlock[] | null {
    if (!this.followedToEnd()) return null;
    return this.top.map((b) => ({ ...b, from: this.frameHolding(b.at), resume: this.frameHolding(b.end) }));
  }

  /**
   * After the stream ended: the rows of each table whose data block the archive holds, by the table's oid
   * (names are in the database's encoding in the TOC; oids are exact), or null when the archive could not
   * be followed to its end. A block not written one row per chunk is left out.
   */
  tableRows(): ReadonlyMap<number, number> | null {
    return this.followedToEnd() ? this.rows : null;
  }

  private followedToEnd(): boolean {
    if (!this.ended && !this.failed) this.guard(() => this.scanner.end());
    this.ended = true;
    return !this.failed;
  }

  /** The frame holding archive offset `pos`; the end of the stream for the offset just past the last byte. */
  private frameHolding(pos: number): FrameRef {
    if (pos >= this.rawBytes) return { raw: this.rawBytes, compressed: this.compressedBytes };
    let lo = 0;
    let hi = this.frames - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.frameRaw[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return { raw: this.frameRaw[lo] as number, compressed: this.frameCompressed[lo] as number };
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch {
      this.failed = true; // Unsupported archive, or a fault of ours: no index, the backup goes on
    }
  }

  private keep(block: Block): void {
    const size = block.end - block.at;
    const i = this.top.findIndex((b) => b.end - b.at < size);
    if (i === -1) {
      if (this.top.length < SEEK_BLOCKS) this.top.push(block);
      return;
    }
    this.top.splice(i, 0, block);
    if (this.top.length > SEEK_BLOCKS) this.top.pop();
  }
}

function grown(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** What makes index entry `b` impossible for an archive of `rawBytes` bytes, or null when it is consistent. */
export function seekBlockProblem(b: SeekBlock, rawBytes: number): string | null {
  if (!(b.at < b.end && b.end <= rawBytes))
    return `block ${b.at}..${b.end} is not within the ${rawBytes}-byte archive`;
  if (b.from.raw > b.at) return `its first frame starts at ${b.from.raw}, after the block's start`;
  if (b.resume.raw > b.end) return `the frame to resume at starts at ${b.resume.raw}, after the block's end`;
  if (b.from.compressed > b.resume.compressed || b.from.raw > b.resume.raw)
    return "the frame to resume at comes before the block's first";
  return null;
}
