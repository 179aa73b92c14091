import type { Transform } from "node:stream";
import { PassThrough } from "node:stream";
import zlib from "node:zlib";
import type { BlockPool } from "./block-pool.ts";
import { FramedZstdCompress } from "./zstd-frames.ts";

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

/** Whether compressStream(options, pool) gives the pool's blocks back (only zstd takes them). */
export const recyclesBlocks = ({ algorithm }: CompressionOptions): boolean => algorithm === "zstd";

/**
 * Compressing transform; zstd output is a sequence of standard frames that the stock `zstd -d` reads.
 * Not ZSTD_c_nbWorkers: with workers, Node 24.21's zstd stream fails with ERR_STREAM_PUSH_AFTER_EOF at end
 * of input (reproduced by bench/age-compress.ts); independent frames give the same parallelism safely.
 */
export function compressStream({ algorithm, level }: CompressionOptions, pool?: BlockPool): Transform {
  switch (algorithm) {
    case "zstd":
      // Independent checksummed frames, compressed in parallel on the thread pool (see zstd-frames.ts);
      // with `pool`, its blocks are compressed in place and given back.
      return new FramedZstdCompress({ level, pool });
    case "gzip":
      return zlib.createGzip({ level, ...LARGE_CHUNKS });
    case "none":
      return new PassThrough();
  }
}

export function decompressStream(algorithm: CompressionAlgorithm): Transform {
  switch (algorithm) {
    case "zstd":
      // Same reason as above, more so: with 16 KiB output chunks a restore spent ~6x the stock `zstd -d` time.
      return zlib.createZstdDecompress(LARGE_CHUNKS);
    case "gzip":
      return zlib.createGunzip(LARGE_CHUNKS);
    case "none":
      return new PassThrough();
  }
}
