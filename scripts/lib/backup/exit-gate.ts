import { Transform, type TransformCallback } from "node:stream";
import { GarbagePacer } from "../gc-pacer.ts";
import { type DumpExit, describeExit } from "../pg/dump.ts";

/**
 * Sits right after pg_dump's stdout. It passes bytes through and, at end of stream, holds back the end
 * until pg_dump has exited: a non-zero exit, a signal or an implausibly small dump fails the stream here,
 * so every later stage (compression, encryption, the upload) is destroyed before the store completes the
 * object. This is `set -o pipefail` for streams: no stored object without a clean pg_dump exit.
 * It also paces garbage collection of the pipe's read buffers (see GarbagePacer): bounded memory.
 */
export class DumpExitGate extends Transform {
  /** Raw pg_dump bytes seen. */
  bytes = 0;
  private readonly exited: Promise<DumpExit>;
  private readonly minBytes: number;
  private readonly pacer = new GarbagePacer();

  constructor(exited: Promise<DumpExit>, minBytes: number) {
    super();
    this.exited = exited;
    this.minBytes = minBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.pacer.add(chunk.length);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.exited.then((exit) => {
      if (exit.code !== 0 || exit.signal) return cb(new DumpFailed(describeExit(exit)));
      if (this.bytes < this.minBytes)
        return cb(
          new DumpFailed(
            `pg_dump produced only ${this.bytes} bytes (less than backups.minDumpBytes = ${this.minBytes}): implausibly small, refusing to store it`,
          ),
        );
      cb();
    }, cb);
  }
}

export class DumpFailed extends Error {
  override name = "DumpFailed";
}
