/**
 * Fixed-size buffers handed from a producer to a consumer and back, so a stream of hundreds of MB reuses a
 * few blocks instead of allocating a buffer per read. Why: every fresh buffer is off-heap memory that V8
 * frees only when it collects the small object in front of it; at pg_dump's pace that garbage was 40+ MB
 * of a backup's peak RSS. The producer `take`s, the consumer `release`s once it is done with a block.
 */
export class BlockPool {
  readonly blockBytes: number;
  private readonly free: Buffer[] = [];
  private readonly mine = new WeakSet<ArrayBufferLike>();
  private readonly waiters: (() => void)[] = [];
  /** Blocks allocated so far (the pool's size: taken or free). */
  allocated = 0;

  constructor(blockBytes: number) {
    this.blockBytes = blockBytes;
  }

  /** Free blocks right now. */
  get available(): number {
    return this.free.length;
  }

  /** A free block, or a new one when none is free (the pool grows: callers bound it by waiting). */
  take(): Buffer {
    const block = this.free.pop();
    if (block) return block;
    const fresh = Buffer.allocUnsafeSlow(this.blockBytes);
    this.mine.add(fresh.buffer);
    this.allocated++;
    return fresh;
  }

  /** Whether `chunk` is (the start of) one of this pool's blocks. */
  owns(chunk: Buffer): boolean {
    return chunk.byteOffset === 0 && this.mine.has(chunk.buffer);
  }

  /** Give a block back; `chunk` may be a view of its start (a last, partial block). */
  release(chunk: Buffer): void {
    if (!this.owns(chunk)) throw new Error("BlockPool.release: not a block of this pool");
    // Twice would hand one block to two writers: corrupt data, silently.
    if (this.free.some((b) => b.buffer === chunk.buffer))
      throw new Error("BlockPool.release: released twice");
    this.free.push(chunk.length === this.blockBytes ? chunk : Buffer.from(chunk.buffer, 0, this.blockBytes));
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Call `wake` once at the next release. */
  onRelease(wake: () => void): void {
    this.waiters.push(wake);
  }
}
