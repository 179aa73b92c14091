import { EventEmitter } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import { Writable } from "node:stream";
import { GarbagePacer } from "../gc-pacer.ts";
import { writeOffsets } from "./archive-offsets.ts";
import { ArchiveScanner, type Toc, type TocEntry, Unsupported } from "./archive-scan.ts";

/** Where one table's data block lies in the archive; `end` is null until it is found. */
export type BlockInfo = { dumpId: number; at: number; end: number | null };

const READ_BYTES = 1 << 20;

/**
 * Sink for the decoded archive: writes it to `path` and follows its structure on the way (archive-scan.ts),
 * so that restoring can start while the rest is still decoding, and so that no second pass over the file is
 * needed to add the TOC's data offsets (written in place as each block reaches the disk).
 *
 * Events: "toc" (toc, prefix bytes), "block" (BlockInfo, when its start is on disk), "progress" (bytes on
 * disk; also after a block's end), "scan-error" (the archive cannot be followed: restore the whole file).
 */
export class ArchiveFile extends EventEmitter {
  readonly path: string;
  /** Bytes on disk so far: readers may read up to here. */
  written = 0;
  toc: Toc | null = null;
  tocPrefix: Buffer | null = null;
  readonly blocks = new Map<number, BlockInfo>();
  /** Set when the archive could not be followed; the file itself is still complete and correct. */
  scanError: Error | null = null;
  finished = false;
  private fh: FileHandle | null = null;
  private reader: Promise<FileHandle> | null = null;
  private stopped = false;
  private readonly scanner: ArchiveScanner;
  private pendingBlocks: BlockInfo[] = [];
  private tocAnnounced = false;
  private entries = new Map<number, TocEntry>();
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
    this.scan(() => this.scanner.push(chunk));
    for (let off = 0; off < chunk.length; ) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off, this.written + off);
      off += bytesWritten;
    }
    this.written += chunk.length;
    this.pacer.add(chunk.length);
    await this.writeNewOffsets();
    this.announce();
  }

  /**
   * Point the TOC at each block that started, as soon as it is on disk: a pg_restore started from now on can
   * then seek to it in the file instead of skipping through every block before it.
   */
  private async writeNewOffsets(): Promise<void> {
    if (!this.toc || this.scanError || !this.fh) return;
    await writeOffsets(this.fh, this.toc, this.pendingBlocks, this.entries);
  }

  private async complete(): Promise<void> {
    if (!this.fh) this.fh = await open(this.path, "w", 0o600);
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
          await new Promise((r) => this.once("progress", r));
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
function writeAll(stream: Writable, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) return reject(new Error("pg_restore's stdin closed"));
    stream.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}
