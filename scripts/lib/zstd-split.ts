import { Transform, type TransformCallback } from "node:stream";

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50..0x184D2A5F, a 4-byte size, that many bytes. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

// What the next bytes are (RFC 8878 §3.1).
const K_MAGIC = 0;
const K_SKIPPABLE_SIZE = 1;
const K_DESCRIPTOR = 2;
const K_HEADER_REST = 3;
const K_BLOCK_HEADER = 4;
const K_CHECKSUM = 5;

/**
 * Finds where each zstd frame ends in a stream fed piecewise, reading only frame and block headers (a few
 * bytes per 128 KiB block). Input that is not zstd is left to the decompressor to refuse: `lost` is set
 * and no more ends are reported.
 */
export class ZstdFrameEnds {
  lost = false;
  private kind = K_MAGIC;
  private want = 4;
  private readonly hdr = Buffer.alloc(16);
  private have = 0;
  private skip = 0;
  /** The bytes being skipped are a skippable frame (else a block's body). */
  private skippable = false;
  private lastBlock = false;
  private checksum = false;

  /** Offsets in `buf` just past each frame that ends in it. */
  scan(buf: Buffer): number[] {
    const ends: number[] = [];
    let i = 0;
    while (i < buf.length && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0 && this.skipped()) ends.push(i);
        continue;
      }
      const n = Math.min(this.want - this.have, buf.length - i);
      buf.copy(this.hdr, this.have, i, i + n);
      this.have += n;
      i += n;
      if (this.have < this.want) break;
      this.have = 0;
      if (this.parse()) ends.push(i);
    }
    return ends;
  }

  /** A header piece is complete: what follows it; true when a frame ended with it. */
  private parse(): boolean {
    const h = this.hdr;
    switch (this.kind) {
      case K_MAGIC: {
        const magic = h.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) return this.next(K_DESCRIPTOR, 1);
        if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) return this.next(K_SKIPPABLE_SIZE, 4);
        this.lost = true;
        return false;
      }
      case K_SKIPPABLE_SIZE:
        this.skippable = true;
        return this.skipThen(h.readUInt32LE(0));
      case K_DESCRIPTOR: {
        const d = h[0] as number;
        this.checksum = ((d >> 2) & 1) === 1;
        const singleSegment = (d >> 5) & 1;
        const rest =
          (singleSegment ? 0 : 1) +
          ([0, 1, 2, 4][d & 3] as number) +
          ([singleSegment, 2, 4, 8][d >> 6] as number);
        return rest > 0 ? this.next(K_HEADER_REST, rest) : this.next(K_BLOCK_HEADER, 3);
      }
      case K_HEADER_REST:
        return this.next(K_BLOCK_HEADER, 3);
      case K_BLOCK_HEADER: {
        const header = h.readUIntLE(0, 3);
        const type = (header >> 1) & 3;
        if (type === 3) {
          this.lost = true;
          return false;
        }
        this.skippable = false;
        this.lastBlock = (header & 1) === 1;
        return this.skipThen(type === 1 ? 1 : header >> 3);
      }
      default: // K_CHECKSUM
        return this.next(K_MAGIC, 4, true);
    }
  }

  /** Skip `n` bytes (a block's body or a skippable frame), then go on; true when the frame ended. */
  private skipThen(n: number): boolean {
    this.skip = n;
    return n === 0 ? this.skipped() : false;
  }

  /** The skipped bytes are behind us; true when they ended the frame. */
  private skipped(): boolean {
    if (this.skippable || (this.lastBlock && !this.checksum)) return this.next(K_MAGIC, 4, true);
    return this.lastBlock ? this.next(K_CHECKSUM, 4) : this.next(K_BLOCK_HEADER, 3);
  }

  private next(kind: number, want: number, frameEnded = false): boolean {
    this.kind = kind;
    this.want = want;
    return frameEnded;
  }
}

/**
 * Passes a zstd stream on cut at its frame ends, so that no write to the decompressor holds the end of one
 * frame and the start of the next. Why: Node's zstd decompressor treats input left over after a frame end,
 * while it still has output space, as the end of the stream (zlib.js: "the input stream has ended early")
 * and drops every later frame. Our 2 MiB frames fill its 1 MiB output chunks exactly, which hid this; a
 * restore that starts in the middle, or any other frame size, does not.
 */
export class ZstdFrameSplit extends Transform {
  private readonly ends = new ZstdFrameEnds();

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let from = 0;
    for (const end of this.ends.scan(chunk)) {
      if (end > from) this.push(chunk.subarray(from, end));
      from = end;
    }
    if (from < chunk.length) this.push(from === 0 ? chunk : chunk.subarray(from));
    done();
  }
}
