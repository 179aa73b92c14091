import { ArchiveScanner, Unsupported } from "../restore/archive-scan.ts";

/** Largest data blocks recorded: a restore decodes at most one per parallel lane ahead of the rest. */
export const SEEK_BLOCKS = 8;

/** A zstd frame: where its input starts in the archive, and where the frame starts in the compressed stream. */
export type FrameRef = { raw: number; compressed: number };

/**
 * One table's data block in the stored backup: archive bytes [at, end), decodable on their own by starting
 * a decompressor at `from` (the frame holding `at`); decoding after the block resumes at `resume`.
 */
export type SeekBlock = { dumpId: number; at: number; end: number; from: FrameRef; resume: FrameRef };

type Pending = { pos: number; set: (ref: FrameRef) => void };
type Entry = { dumpId: number; at: number; end: number; from: FrameRef | null; resume: FrameRef | null };

/**
 * Builds the manifest's seek index while the backup streams: follows pg_dump's archive (the restore's own
 * scanner) for where each table's data block starts and ends, and the compressor's frames for where each
 * archive offset can be decoded from. Why: pg_dump writes tables in name order, so a restore decoding from
 * the start reaches the largest table only after all before it; with the index it starts that one first.
 * Never fails the backup: an archive it cannot follow just gets no index (restores then decode in order).
 */
export class SeekIndexer {
  private readonly scanner: ArchiveScanner;
  private failed = false;
  /** Archive offsets waiting for the frame that holds them to be emitted, in order. */
  private waiting: Pending[] = [];
  private frameRaw = 0;
  private frameCompressed = 0;
  /** Blocks started and not yet ended (one at a time in practice), by dumpId. */
  private readonly open = new Map<number, Entry>();
  /** The largest finished blocks, largest first, at most SEEK_BLOCKS. */
  private top: Entry[] = [];

  constructor() {
    this.scanner = new ArchiveScanner({
      toc: () => {},
      blockStart: (dumpId, at) => {
        const entry: Entry = { dumpId, at, end: at, from: null, resume: null };
        this.open.set(dumpId, entry);
        this.wait(at, (ref) => {
          entry.from = ref;
        });
      },
      blockEnd: (dumpId, end) => {
        const entry = this.open.get(dumpId);
        this.open.delete(dumpId);
        if (!entry) return;
        entry.end = end;
        this.wait(end, (ref) => {
          entry.resume = ref;
        });
        this.keep(entry);
      },
    });
  }

  /** The next raw archive bytes, in order, before they are compressed. */
  input(chunk: Buffer): void {
    if (this.failed) return;
    try {
      this.scanner.push(chunk);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      this.failed = true;
    }
  }

  /** The compressor emitted a frame of `contentBytes` archive bytes as `frameBytes` compressed bytes. */
  frame(contentBytes: number, frameBytes: number): void {
    const ref = { raw: this.frameRaw, compressed: this.frameCompressed };
    const next = this.frameRaw + contentBytes;
    let i = 0;
    // Offsets arrive in archive order, and the scanner sees each before its frame can be complete.
    for (; i < this.waiting.length && (this.waiting[i] as Pending).pos < next; i++)
      (this.waiting[i] as Pending).set(ref);
    if (i) this.waiting = this.waiting.slice(i);
    this.frameRaw = next;
    this.frameCompressed += frameBytes;
  }

  /** After the stream ended: the largest blocks, or null when the archive could not be followed. */
  result(): SeekBlock[] | null {
    if (this.failed) return null;
    try {
      this.scanner.end();
    } catch (e) {
      if (e instanceof Unsupported) return null;
      throw e;
    }
    // Offsets at the very end (a last block ending the archive) resume at the end: nothing left to decode.
    const end = { raw: this.frameRaw, compressed: this.frameCompressed };
    for (const w of this.waiting) if (w.pos === end.raw) w.set(end);
    const out: SeekBlock[] = [];
    for (const b of this.top) {
      if (!b.from || !b.resume) return null; // frames and archive disagree: better no index than a wrong one
      out.push({ dumpId: b.dumpId, at: b.at, end: b.end, from: b.from, resume: b.resume });
    }
    return out;
  }

  private wait(pos: number, set: (ref: FrameRef) => void): void {
    this.waiting.push({ pos, set });
  }

  private keep(block: Entry): void {
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
