import type { Transform } from "node:stream";
import { PassThrough } from "node:stream";
import zlib from "node:zlib";
import { FramedZstdCompress, type FramedZstdOptions } from "./zstd-frames.ts";
import { ZstdFrameSplit } from "./zstd-split.ts";

export type CompressionAlgorithm = "zstd" | "gzip" | "none";
export type CompressionOptions = { algorithm: CompressionAlgorithm; level: number };

/** File-name suffix for a compressed object, so the name says what is inside. */
export const compressionSuffix = (algorithm: CompressionAlgorithm): string =>
  algorithm === "zstd" ? ".zst" : algorithm === "gzip" ? ".gz" : "";

const MiB = 1024 * 1024;
/**
 * zlib's defaults (16 KiB output chunks, 16 KiB of queued input) make every 64 KiB read from pg_dump's
 * pipe a round trip to the thread pool while pg_dump waits on the full pipe. With 1 MiB, pg_dump | zstd
 * alone on a 674 MB dump took ~20% less CPU (2.3–2.6 s → 1.9–2.0 s); memory cost: a few MiB.
 */
const LARGE_CHUNKS = { chunkSize: MiB, writableHighWaterMark: MiB, readableHighWaterMark: MiB };

/** Whether compressStream(options, { pool }) gives the pool's blocks back (only zstd takes them). */
export const recyclesBlocks = ({ algorithm }: CompressionOptions): boolean => algorithm === "zstd";

/**
 * Compressing transform; zstd output is a sequence of standard frames that the stock `zstd -d` reads.
 * Not ZSTD_c_nbWorkers: with workers, Node 24.21's zstd stream fails with ERR_STREAM_PUSH_AFTER_EOF at end
 * of input (reproduced by bench/age-compress.ts); independent frames give the same parallelism safely.
 */
/** zstd only: blocks shared with the producer, and the hooks the seek index follows (zstd-frames.ts). */
export type FrameHooks = Pick<FramedZstdOptions, "pool" | "onFrame" | "onInput">;

export function compressStream({ algorithm, level }: CompressionOptions, hooks: FrameHooks = {}): Transform {
  switch (algorithm) {
    case "zstd":
      // Independent checksummed frames, compressed in parallel on the thread pool (see zstd-frames.ts);
      // with `pool`, its blocks are compressed in place and given back.
      return new FramedZstdCompress({ level, ...hooks });
    case "gzip":
      return zlib.createGzip({ level, ...LARGE_CHUNKS });
    case "none":
      return new PassThrough();
  }
}

/**
 * The stages that decompress `algorithm`, to put in a pipeline: for zstd, the input is first cut at frame
 * ends (zstd-split.ts: Node's decompressor would otherwise drop the frames after one that ends mid-write).
 */
export function decompressStages(algorithm: CompressionAlgorithm, buffers?: DecompressBuffers): Transform[] {
  const decompress = decompressStream(algorithm, buffers);
  return algorithm === "zstd" ? [new ZstdFrameSplit(), decompress] : [decompress];
}

/** The decompressor alone; for zstd, see decompressStages (writes must not span frame ends). */
/**
 * zstd decompressor buffers. A stream read at a COPY's pace wants them small: its buffers then live for
 * several of the collections another, faster stream paces (gc-pacer.ts), get promoted, and only V8's
 * mark-compacts free them (measured: 25-49 of them, ~1 CPU-s, in a restore decoding its largest table
 * ahead with 1 MiB buffers; 3 with these).
 */
export type DecompressBuffers = {
  /** @default 1 MiB */
  outputChunk?: number;
  /** Compressed input queued in front of the decompressor. @default 1 MiB */
  inputQueue?: number;
};

/** Options of the stream a zlib class wraps (its TS types only declare the codec's own). */
const zstdBuffers = (outputChunk: number, inputQueue: number) => ({
  chunkSize: outputChunk,
  readableHighWaterMark: outputChunk,
  writableHighWaterMark: inputQueue,
});

export function decompressStream(
  algorithm: CompressionAlgorithm,
  { outputChunk = MiB, inputQueue = MiB }: DecompressBuffers = {},
): Transform {
  switch (algorithm) {
    case "zstd":
      // Same reason as above, more so: with 16 KiB output chunks a restore spent ~6x the stock `zstd -d` time.
      return zlib.createZstdDecompress(zstdBuffers(outputChunk, inputQueue));
    case "gzip":
      return zlib.createGunzip(LARGE_CHUNKS);
    case "none":
      return new PassThrough();
  }
}
