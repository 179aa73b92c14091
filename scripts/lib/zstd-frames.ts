import { availableParallelism } from "node:os";
import { Transform, type TransformCallback } from "node:stream";
import zlib, { type ZstdCompress } from "node:zlib";
import { BlockPool } from "./block-pool.ts";
import { frameProblem } from "./zstd-frame-check.ts";

export type FramedZstdOptions = {
  level: number;
  /**
   * Input bytes per frame. Larger than zstd's window at the levels we use, so the ratio barely changes.
   * @default 2 MiB, or the pool's block size
   */
  blockBytes?: number;
  /**
   * Blocks shared with the producer (DumpReader): a written chunk that is one of its blocks becomes a
   * frame's input as it is, without a copy, and goes back to the pool once compressed.
   * @default a pool of its own
   */
  pool?: BlockPool;
  /**
   * Frames compressed at once on libuv's thread pool; memory is about (inFlight + 1) × blockBytes.
   * @default one per core, 2 to 3: on 2 cores a third frame bought no time and cost ~5 MB RSS.
   */
  inFlight?: number;
  /**
   * Called for every frame emitted, in order, with its input and output sizes (the backup's seek index
   * maps archive offsets to the frames a restore can start decompressing at).
   */
  onFrame?: (contentBytes: number, frameBytes: number) => void;
  /** Called with every input chunk before it is compressed (the seek index follows the archive in it). */
  onInput?: (chunk: Buffer) => void;
};

/**
 * One persistent zstd compressor. Every write is a whole frame (the stream's default flush is ZSTD_e_end),
 * so zstd sees the block in one call, knows its size and records it in the frame header. Reusing the
 * context instead of one `zstdCompress()` per frame saved ~20% CPU at level 3 (0.48 → 0.39 CPU-s on a
 * 307 MB dump): each call allocated and initialised a fresh context and its tables.
 */
class Lane {
  private readonly stream: ZstdCompress;
  private out: Buffer[] = [];
  private failure: Error | undefined;

  constructor(level: number) {
    this.stream = zlib.createZstdCompress({
      flush: zlib.constants.ZSTD_e_end,
      // zlib hands out slices of one output buffer until it is full, so every buffer outlives several
      // frames. At 1 MiB they lived long enough to be promoted to V8's old generation, where only a full
      // mark-compact frees them: a 1 GB backup then ran 20-50 mark-compacts (+0.5-1 CPU-s, +20 MB RSS,
      // bench/backup.ts). At 256 KiB (still one chunk for a typical 2 MiB frame) they die young: 1-2.
      chunkSize: 256 * 1024,
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: level,
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
        [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
      },
    });
    this.stream.on("data", (chunk: Buffer) => this.out.push(chunk));
    this.stream.on("error", (err: Error) => {
      this.failure = err;
    });
  }

  /** Compress `block` into one frame; resolves with the frame's bytes once zlib has emitted all of them. */
  frame(block: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.stream.write(block, (err) => {
        if (err || this.failure) return reject(err ?? this.failure);
        const out = this.out;
        this.out = [];
        resolve(out);
      });
    });
  }

  close(): void {
    this.stream.close();
  }
}

/** Input bytes per frame by default: larger than zstd's window at our levels, so the ratio barely changes. */
export const FRAME_BYTES = 2 * 1024 * 1024;

/** Frames compressed at once by default: one per core, 2 to 3 (see FramedZstdOptions.inFlight). */
export const zstdLanes = (): number => Math.min(3, Math.max(2, availableParallelism()));

type Pending = { output: Promise<Buffer[]>; block: Buffer; contentBytes: number };

/**
 * zstd compression in independent frames, several compressed at once on the thread pool, emitted in input
 * order. Concatenated frames are one valid zstd stream (`zstd -d`, Node's decompressor, pzstd all read it).
 * Why: a single zlib stream compresses one chunk at a time on one thread, and a backup then waits on it
 * (measured: the main thread idle half the run); frames let compression use the cores pg_dump leaves free.
 * Input is copied into a small pool of reused blocks (or arrives in them: `pool`), so a backup allocates
 * no per-frame input buffers (garbage the collector would otherwise chase through hundreds of MB).
 */
export class FramedZstdCompress extends Transform {
  private readonly blockBytes: number;
  private readonly lanes: Lane[];
  private nextLane = 0;
  /** Frames being compressed, oldest first. */
  private readonly queue: Pending[] = [];
  private readonly pool: BlockPool;
  private block: Buffer | undefined;
  private filled = 0;
  private sawInput = false;
  /** Frames emitted so far (names the bad one in an error). */
  private frames = 0;
  private readonly onFrame: FramedZstdOptions["onFrame"];
  private readonly onInput: FramedZstdOptions["onInput"];

  constructor(opts: FramedZstdOptions) {
    super();
    this.onFrame = opts.onFrame;
    this.onInput = opts.onInput;
    this.pool = opts.pool ?? new BlockPool(opts.blockBytes ?? FRAME_BYTES);
    this.blockBytes = this.pool.blockBytes;
    const inFlight = Math.max(1, opts.inFlight ?? zstdLanes());
    this.lanes = Array.from({ length: inFlight }, () => new Lane(opts.level));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.sawInput = true;
    this.onInput?.(chunk);
    const owned = this.pool.owns(chunk);
    const input =
      owned && this.filled === 0
        ? this.adopt(chunk)
        : this.copyIn(chunk).then(() => {
            if (owned) this.pool.release(chunk); // copied (a partial block was pending): give it back
          });
    input.then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    // Empty input still becomes one (empty) frame: a valid zstd stream that decompresses to nothing.
    if (this.filled > 0 || !this.sawInput) this.dispatch();
    this.emitUntil(0).then(() => done(), done);
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    for (const lane of this.lanes) lane.close();
    done(err);
  }

  /** A block of the shared pool, compressed where it is once a lane is free. */
  private async adopt(block: Buffer): Promise<void> {
    await this.emitUntil(this.lanes.length - 1);
    this.block = block;
    this.filled = block.length;
    this.dispatch();
  }

  /** Copy `chunk` into blocks, starting a frame for every full block. */
  private async copyIn(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (!this.block) {
        await this.emitUntil(this.lanes.length - 1); // a lane (and so a block) is free
        this.block = this.pool.take();
      }
      const n = chunk.copy(this.block, this.filled, at);
      at += n;
      this.filled += n;
      if (this.filled === this.blockBytes) this.dispatch();
    }
  }

  private dispatch(): void {
    const block = this.block ?? Buffer.allocUnsafeSlow(0);
    const lane = this.lanes[this.nextLane] as Lane;
    this.nextLane = (this.nextLane + 1) % this.lanes.length;
    const output = lane.frame(block.subarray(0, this.filled));
    output.catch(() => {}); // observed in emitUntil; avoid an unhandled rejection while it waits its turn
    this.queue.push({ output, block, contentBytes: this.filled });
    this.block = undefined;
    this.filled = 0;
  }

  /**
   * Push finished frames, oldest first, until at most `keep` remain in flight; their blocks are reused.
   * Each frame is checked against its input first (zstd-frame-check.ts): a malformed one fails the stream.
   */
  private async emitUntil(keep: number): Promise<void> {
    while (this.queue.length > keep) {
      const { output, block, contentBytes } = this.queue.shift() as Pending;
      const pieces = await output;
      const frame = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
      const problem = frameProblem(frame, contentBytes);
      if (problem) throw new Error(`zstd frame ${this.frames} is malformed: ${problem}`);
      this.frames++;
      this.onFrame?.(contentBytes, frame.length);
      this.push(frame);
      if (this.pool.owns(block)) this.pool.release(block);
    }
  }
}
