import type { OnReadOpts, Socket } from "node:net";
import { Readable } from "node:stream";
import type { BlockPool } from "../block-pool.ts";
import { GarbagePacer } from "../gc-pacer.ts";

export type DumpExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

function describeExit(e: DumpExit): string {
  const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
  return `pg_dump ${how}${e.stderr ? `: ${e.stderr.split("\n").slice(-5).join(" | ")}` : ""}`;
}

export type DumpReaderOptions = {
  /** pg_dump's exit; the stream ends only once it is known to be clean. */
  exited: Promise<DumpExit>;
  /** Fewer bytes than this fail the stream (posture backups.minDumpBytes). */
  minBytes: number;
  /** Where reads land. The stream's chunks are this pool's blocks (the last one partial). */
  pool: BlockPool;
  /**
   * Whether the consumer gives blocks back (pool.release): then reading pauses while `maxOut` blocks are
   * out, so memory stays at (maxOut + 1) blocks. Otherwise every block is new and dropped by the consumer.
   */
  recycle: boolean;
  /** @default 4 */
  maxOut?: number;
};

/**
 * pg_dump's output as a stream of whole blocks, read straight into them: the socket's `onread` buffer is
 * always the free end of the current block, so no read allocates and nothing is copied.
 * It is also the pipeline's `pipefail`: at end of input it waits for pg_dump's exit, and a non-zero exit,
 * a signal or an implausibly small dump fails the stream, so every later stage (compression, encryption,
 * the upload) is destroyed before the store completes the object.
 */
export class DumpReader extends Readable {
  /** Bytes read from pg_dump so far. */
  bytes = 0;
  /** For the socket's `onread` option. */
  readonly onread: OnReadOpts;
  private readonly o: DumpReaderOptions;
  private readonly maxOut: number;
  private socket: Socket | undefined;
  private block: Buffer | undefined;
  private filled = 0;
  private wantMore = true;
  private stopped = false;
  private readonly pacer = new GarbagePacer();

  constructor(o: DumpReaderOptions) {
    super({ highWaterMark: 1 }); // one block queued at most: pushes are whole blocks
    this.o = o;
    this.maxOut = o.maxOut ?? 4;
    this.onread = { buffer: () => this.nextBuffer(), callback: (n: number) => this.onData(n) };
    // A failed exit fails the stream as soon as it is known (the process and its stderr closed), not only
    // at end of input, which a process that inherited the socket could hold open.
    o.exited.then(
      (exit) => {
        if ((exit.code !== 0 || exit.signal) && !this.destroyed)
          this.destroy(new DumpFailed(describeExit(exit)));
      },
      () => {},
    );
  }

  /** Read from `socket` (made with this.onread) until its end. */
  attach(socket: Socket): void {
    this.socket = socket;
    socket.once("end", () => this.finish());
    socket.once("error", (e) => this.destroy(e));
  }

  override _read(): void {
    this.wantMore = true;
    this.maybeResume();
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.socket?.destroy();
    done(err);
  }

  private nextBuffer(): Buffer {
    if (!this.block) {
      this.block = this.o.pool.take();
      this.filled = 0;
    }
    return this.block.subarray(this.filled);
  }

  /** `n` bytes arrived at the block's free end. Returns false to stop reading (the socket's pause). */
  private onData(n: number): boolean {
    const block = this.block as Buffer;
    this.filled += n;
    this.bytes += n;
    this.pacer.add(n);
    if (this.filled === block.length) {
      this.block = undefined;
      if (!this.push(block)) this.wantMore = false;
    }
    if (this.canRead()) return true;
    this.stopped = true;
    if (this.o.recycle) this.o.pool.onRelease(() => this.maybeResume());
    return false;
  }

  private canRead(): boolean {
    if (!this.wantMore) return false;
    if (!this.o.recycle) return true;
    const out = this.o.pool.allocated - this.o.pool.available - (this.block ? 1 : 0);
    return out < this.maxOut;
  }

  private maybeResume(): void {
    if (!this.stopped || !this.canRead() || this.destroyed) return;
    this.stopped = false;
    this.socket?.read(0); // restarts the handle's reading (net.Socket._read → readStart)
  }

  private finish(): void {
    const rest = this.block?.subarray(0, this.filled);
    this.block = undefined;
    this.o.exited.then(
      (exit) => {
        if (this.destroyed) return;
        const problem = this.problem(exit);
        if (problem) return void this.destroy(new DumpFailed(problem));
        if (rest && rest.length > 0) this.push(rest);
        else if (rest && this.o.recycle) this.o.pool.release(rest);
        this.push(null);
      },
      (e) => this.destroy(e),
    );
  }

  /**
   * Why the dump that just ended must not be stored, if it must not. The exit status is normally seen first
   * by the constructor's handler; checked again here so that a clean end never depends on that ordering.
   */
  private problem(exit: DumpExit): string | undefined {
    if (exit.code !== 0 || exit.signal) return describeExit(exit);
    if (this.bytes < this.o.minBytes)
      return `pg_dump produced only ${this.bytes} bytes (less than backups.minDumpBytes = ${this.o.minBytes}): implausibly small, refusing to store it`;
    return undefined;
  }
}

export class DumpFailed extends Error {
  override name = "DumpFailed";
}
