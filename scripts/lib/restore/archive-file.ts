import { EventEmitter } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import { Writable } from "node:stream";
import { GarbagePacer } from "../gc-pacer.ts";
import { writeAt } from "../write-at.ts";
import { writeOffsets } from "./archive-offsets.ts";
import { ArchiveScanner, type Toc, type TocEntry, Unsupported } from "./archive-scan.ts";
import { DirectBlock } from "./direct-block.ts";

/** Where one table's data block lies in the archive; `end` is null until it is found. */
export type BlockInfo = { dumpId: number; at: number; end: number | null };

const READ_BYTES = 1 << 20;

/**
 * Sink for the decoded archive: writes it to `path` and follows its structure on the way (archive-scan.ts),
 * so that restoring can start while the rest is still decoding, and so that no second pass over the file is
 * needed to add the TOC's data offsets (written in place as each block reaches the disk). The block being
 * decoded may instead go straight to the pg_restore loading it (streamDirect), leaving a hole in the file.
 *
 * Events: "toc" (toc, prefix bytes), "block" (BlockInfo, when its start is on disk), "progress" (bytes on
 * disk; also after a block's end), "scan-error" (the archive cannot be followed: restore the whole file).
 */
export class ArchiveFile extends EventEmitter {
  readonly path: string;
  /** Bytes decoded so far; all on disk but a direct block's hole: readers may read up to here. */
  written = 0;
  /** Bytes of `written` that another lane decodes (skip): not decoded here. */
  skipped = 0;
  toc: Toc | null = null;
  tocPrefix: Buffer | null = null;
  readonly blocks = new Map<number, BlockInfo>();
  /** Set when the archive could not be followed; the file itself is still complete and correct. */
  scanError: Error | null = null;
  finished = false;
  private fh: FileHandle | null = null;
  private reader: Promise<FileHandle> | null = null;
  private stopped = false;
  /** A chunk is being written to disk (or to the direct feed) and `written` does not count it yet. */
  private appending = false;
  private readonly scanner: ArchiveScanner;
  private pendingBlocks: BlockInfo[] = [];
  /** Blocks decoded elsewhere (skip): the file has a hole there, so the TOC must not point at it. */
  private readonly elsewhere = new Set<number>();
  private tocAnnounced = false;
  private entries = new Map<number, TocEntry>();
  /** The block being decoded, when its bytes go to its feed rather than to disk (direct-block.ts). */
  private direct: DirectBlock | null = null;
  /**
   * The decompressor's output is a fresh buffer per MiB; without paced collection they piled up until V8
   * ran a mark-compact every ~50 ms (35 per 1 GB restore, ~0.5 CPU-s of GC; bench/restore.ts).
   */
  private readonly pacer = new GarbagePacer();

  constructor(path: string) {
    super();
    this.path = path;
    this.scanner = new ArchiveScanner({
      toc: (toc, prefix) => {
        this.toc = toc;
        this.entries = new Map(toc.entries.map((e) => [e.dumpId, e]));
        this.tocPrefix = prefix;
      },
      blockStart: (dumpId, at) => {
        const b: BlockInfo = { dumpId, at, end: null };
        this.pendingBlocks.push(b);
      },
      blockEnd: (dumpId, end) => {
        // Readers stop at min(end, written): the end may be known before its bytes are on disk.
        const b = this.pendingBlocks.find((p) => p.dumpId === dumpId) ?? this.blocks.get(dumpId);
        if (b) b.end = end;
      },
    });
  }

  /** A Writable to pipe the decoded archive into; resolves `finish` after the offsets are written. */
  writable(): Writable {
    return new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, done) => this.append(chunk).then(() => done(), done),
      final: (done) => this.complete().then(() => done(), done),
      destroy: (err, done) => {
        const fh = this.fh;
        this.fh = null;
        (fh ? fh.close() : Promise.resolve()).then(
          () => done(err),
          () => done(err),
        );
      },
    });
  }

  private async append(chunk: Buffer): Promise<void> {
    if (!this.fh) this.fh = await open(this.path, "w", 0o600);
    const at = this.written;
    const d = this.direct;
    if (d) {
      await d.ready();
      // Attached (d.out set), unless released or ended meanwhile: endDirect clears `direct` before it wakes us.
      if (this.direct === d && d.released) this.endDirect(at);
    }
    // From here until `written` moves past this chunk, a feed must not attach at `written`: the chunk
    // would go to disk only, and that feed would never get it.
    this.appending = true;
    this.scan(() => this.scanner.push(chunk));
    // Bytes of this chunk that went to the direct block's feed: they leave a hole in the file, which only
    // that feed would have read.
    let sent = 0;
    if (d?.out && this.direct === d) {
      const end = Math.min(d.block.end ?? Number.POSITIVE_INFINITY, at + chunk.length);
      sent = await writeAll(d.out, chunk.subarray(0, end - at)).then(
        () => end - at,
        () => 0, // pg_restore's stdin closed: it failed and says why; the rest goes to disk
      );
      d.sent += sent;
      if (this.direct === d && (sent === 0 || at + sent === d.block.end)) this.endDirect(at + sent);
    }
    await writeAt(this.fh, [chunk.subarray(sent)], at + sent);
    this.written = at + chunk.length;
    this.appending = false;
    this.pacer.add(chunk.length);
    await this.writeNewOffsets();
    this.announce();
  }

  /**
   * The block [at, end) of `dumpId` is decoded by its own lane (the backup's seek index) and never written
   * here: leave a hole and follow the archive on at `end`. Call between writes, when `at` is reached.
   */
  async skip(dumpId: number, at: number, end: number): Promise<void> {
    if (this.written !== at || this.appending || this.direct)
      throw new Error(`ArchiveFile.skip(${dumpId}) at ${at}, but ${this.written} bytes are written`);
    this.elsewhere.add(dumpId);
    this.scan(() => this.scanner.jump(dumpId, at, end));
    this.skipped += end - at;
    this.written = end;
    await this.writeNewOffsets();
    this.announce();
  }

  /**
   * Send the rest of block `b`, which is being decoded now, straight to the feed that restores it, not to
   * disk: the decoder then goes at that pg_restore's pace. Null if it is not being decoded (any more).
   */
  streamDirect(b: BlockInfo): DirectBlock | null {
    if (this.direct || this.stopped || this.scanError || this.finished || b.end !== null) return null;
    if (this.blocks.get(b.dumpId) !== b) return null;
    this.direct = new DirectBlock(b);
    return this.direct;
  }

  /** A block is streaming straight to its feed (the decoder is held back to its pace). */
  get streamingDirect(): boolean {
    return this.direct !== null && !this.direct.released;
  }

  /** Let the decoder run ahead again: the rest of the direct block goes to disk, its feed reads it there. */
  releaseDirect(): void {
    const d = this.direct;
    if (!d) return;
    d.released = true;
    // Not attached yet: the decoder is waiting at its next chunk, and may go on at once.
    if (!d.out) this.endDirect(this.written);
  }

  private endDirect(pos: number): void {
    const d = this.direct;
    this.direct = null;
    d?.end(pos);
  }

  /**
   * Point the TOC at each block that started, as soon as it is on disk: a pg_restore started from now on can
   * then seek to it in the file instead of skipping through every block before it.
   */
  private async writeNewOffsets(): Promise<void> {
    if (!this.toc || this.scanError || !this.fh) return;
    const here = this.pendingBlocks.filter((b) => !this.elsewhere.has(b.dumpId));
    await writeOffsets(this.fh, this.toc, here, this.entries);
  }

  private async complete(): Promise<void> {
    if (!this.fh) this.fh = await open(this.path, "w", 0o600);
    this.endDirect(this.written); // a block that never ended: the scan fails below
    this.scan(() => this.scanner.end());
    // Offsets before announcing, as in append: announce hands the pending blocks over (an archive whose TOC
    // is only found here, at its end, otherwise kept none).
    await this.writeNewOffsets();
    this.announce();
    await this.fh.close();
    this.fh = null;
    this.finished = true;
    this.emit("progress", this.written);
  }

  /** This file, if pg_restore can read all of `blocks` from it (they are on disk), else null. */
  fileWith(blocks: readonly BlockInfo[]): string | null {
    return blocks.every((b) => b.end !== null && b.end <= this.written) ? this.path : null;
  }

  /**
   * Write the archive as pg_restore reads it from a pipe: header and TOC, then just these blocks in archive
   * order, each as its bytes reach the disk. Returns early once stopped.
   */
  async feed(out: Writable, blocks: readonly BlockInfo[]): Promise<void> {
    this.reader ??= open(this.path, "r");
    const fh = await this.reader;
    await writeAll(out, this.tocPrefix as Buffer);
    // One buffer per feed, reused once the pipe took it: 300 MB of fresh Buffers cost ~0.1 s of GC.
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (const b of blocks) {
      for (let pos = b.at; pos !== b.end; ) {
        if (this.stopped) return;
        const limit = Math.min(b.end ?? Number.POSITIVE_INFINITY, this.written);
        if (pos >= limit) {
          const d = this.direct;
          // At the decoder's position in the block it streams directly: take the rest from it.
          if (d && d.block === b && !d.out && pos === this.written && !this.appending)
            pos = await d.attach(out);
          else await new Promise((r) => this.once("progress", r));
          continue;
        }
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, limit - pos), pos);
        if (bytesRead === 0) throw new Error(`unexpected end of ${this.path} at ${pos}`);
        pos += bytesRead;
        await writeAll(out, buf.subarray(0, bytesRead));
      }
    }
  }

  /** The restore failed: feeds stop, and those waiting for bytes wake to do so. */
  stop(): void {
    this.stopped = true;
    this.endDirect(this.written);
    this.emit("progress", this.written);
  }

  /** Close the read handle the feeds share; call once no feed runs. */
  async release(): Promise<void> {
    const r = this.reader;
    this.reader = null;
    if (r) await r.then((fh) => fh.close()).catch(() => {});
  }

  private scan(step: () => void): void {
    if (this.scanError) return;
    try {
      step();
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      this.scanError = e;
      this.emit("scan-error", e);
    }
  }

  /** Tell listeners about what is now on disk: the TOC, block starts, block ends. */
  private announce(): void {
    if (this.scanError) return;
    if (this.toc && this.tocPrefix && !this.tocAnnounced) {
      this.tocAnnounced = true;
      this.emit("toc", this.toc, this.tocPrefix);
    }
    const starts = this.pendingBlocks;
    this.pendingBlocks = [];
    for (const b of starts) {
      this.blocks.set(b.dumpId, b);
      this.emit("block", b);
    }
    this.emit("progress", this.written);
  }
}

/** Write and wait until the stream has handed `buf` on (so it may be reused). */
export function writeAll(stream: Writable, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) return reject(new Error("pg_restore's stdin closed"));
    stream.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}
