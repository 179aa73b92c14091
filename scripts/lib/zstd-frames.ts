import { Transform, type TransformCallback } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";

const zstdCompress = promisify(zlib.zstdCompress);

export type FramedZstdOptions = {
  level: number;
  /** Input bytes per frame. Larger than zstd's window at the levels we use, so the ratio barely changes. */
  blockBytes?: number;
  /** Frames compressed at once on libuv's thread pool (bounded memory: ~2 × blockBytes each). */
  inFlight?: number;
};

/**
 * zstd compression in independent frames, several compressed at once on the thread pool, emitted in input
 * order. Concatenated frames are one valid zstd stream (`zstd -d`, Node's decompressor, pzstd all read it).
 * Why: a single zlib stream compresses one chunk at a time on one thread, and a backup then waits on it
 * (measured: the main thread idle half the run); frames let compression use the cores pg_dump leaves free.
 */
export class FramedZstdCompress extends Transform {
  private readonly level: number;
  private readonly blockBytes: number;
  private readonly inFlight: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly queue: Promise<Buffer>[] = [];
  private sawInput = false;

  constructor(opts: FramedZstdOptions) {
    super();
    this.level = opts.level;
    this.blockBytes = opts.blockBytes ?? 4 * 1024 * 1024;
    this.inFlight = opts.inFlight ?? 3;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sawInput = true;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.drainFull().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes > 0 || !this.sawInput) this.startFrame(this.takePending());
    this.emitAll(0).then(() => done(), done);
  }

  /** Start a frame for every full block; wait for the oldest when too many are in flight. */
  private async drainFull(): Promise<void> {
    while (this.pendingBytes >= this.blockBytes) {
      const all = this.takePending();
      this.startFrame(all.subarray(0, this.blockBytes));
      const rest = all.subarray(this.blockBytes);
      if (rest.length) {
        this.pending = [rest];
        this.pendingBytes = rest.length;
      }
      await this.emitAll(this.inFlight - 1);
    }
  }

  private takePending(): Buffer {
    const all =
      this.pending.length === 1
        ? (this.pending[0] as Buffer)
        : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  private startFrame(block: Buffer): void {
    const frame = zstdCompress(block, {
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: this.level,
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
        // The frame header then records its size, so decompressors can allocate exactly.
        [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
      },
    });
    frame.catch(() => {}); // observed in emitAll; avoid an unhandled rejection while it waits its turn
    this.queue.push(frame);
  }

  /** Push finished frames, oldest first, until at most `keep` remain in flight. */
  private async emitAll(keep: number): Promise<void> {
    while (this.queue.length > keep) this.push(await (this.queue.shift() as Promise<Buffer>));
  }
}
