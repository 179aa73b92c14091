import type { Writable } from "node:stream";
import type { BlockInfo } from "./archive-file.ts";

/**
 * A data block handed by the decoder straight to the pg_restore that loads it, instead of through the disk.
 * Why: the decoded archive's page-cache writes were a quarter of a restore's client CPU (BACKUP.md), and
 * the largest table's COPY loads at a fraction of decoding speed, so its bytes can wait in the decoder.
 *
 * Life: requested (the decoder waits for the feed) → attached (the decoder writes the block's bytes to the
 * feed's pipe, at the pipe's pace) → finished at the block's end, or handed back (released: the rest of the
 * block goes to disk and the feed reads it from there, so the decoder can run ahead for other tables).
 */
export class DirectBlock {
  readonly block: BlockInfo;
  /** The feed's pipe, once it has read everything before the decoder's position from the file. */
  out: Writable | null = null;
  /** Bytes that went straight to the feed (for the log: a block released at once sends none). */
  sent = 0;
  /** Asked to hand back (a lane waits for blocks behind this one): done at the decoder's next chunk. */
  released = false;
  private readonly attached = Promise.withResolvers<void>();
  private readonly handedBack = Promise.withResolvers<number>();

  constructor(block: BlockInfo) {
    this.block = block;
  }

  /** The decoder: wait until the feed is attached or the block was released. */
  ready(): Promise<void> {
    return this.attached.promise;
  }

  /**
   * The feed, at the decoder's position: take the bytes from here on through `out`. Resolves with the
   * position to go on reading the file from (the block's end when it all went through `out`).
   */
  attach(out: Writable): Promise<number> {
    this.out = out;
    this.attached.resolve();
    return this.handedBack.promise;
  }

  /** Stop streaming: the feed goes on from the file at `pos` (where the decoder's disk writes resume). */
  end(pos: number): void {
    this.attached.resolve();
    this.handedBack.resolve(pos);
  }
}
