import { pipeline, Readable, type Transform } from "node:stream";
import { CHUNK as AGE_CHUNK } from "../age/payload.ts";
import type { SeekableAgeFile } from "../age/seekable.ts";
import type { FrameRef } from "../backup/seek-index.ts";
import { decompressStages } from "../compress.ts";

/** The range cannot be decoded from the frame given: the seek index that named them is wrong. */
export class SeekRangeError extends Error {}

/** The start of the archive: the first frame holds archive offset 0 at compressed offset 0. */
export const ARCHIVE_START: FrameRef = { raw: 0, compressed: 0 };

/**
 * Archive bytes [start, end) of a zstd backup (to its end when `end` is null), decoded from frame `from`
 * (the frame holding `start`, from the manifest's seek index): decryption starts at the age chunk holding
 * the frame, decompression at the frame, and the bytes before `start` in it are dropped.
 */
export async function* decodeRange(
  age: SeekableAgeFile,
  from: FrameRef,
  start: number,
  end: number | null,
  /** Decompressed bytes per chunk given out. */
  outputChunk = 1 << 20,
): AsyncGenerator<Buffer> {
  if (from.raw > start || (end !== null && end < start))
    throw new SeekRangeError(`the frame at ${from.raw} cannot give archive bytes ${start}..${end}`);
  if (from.compressed > age.size)
    throw new SeekRangeError(
      `frame offset ${from.compressed} is past the ${age.size}-byte compressed stream`,
    );
  if (start === end) return;
  // A block that ends the archive resumes at its end: nothing left (zstd would call no input a cut frame).
  if (from.compressed === age.size && from.raw === start && end === null) return;
  const [split, zstd] = decompressStages("zstd", { outputChunk, inputQueue: AGE_CHUNK }) as [
    Transform,
    Transform,
  ];
  // Errors reach the loop below through zstd (pipeline destroys it with them); stopping early is no error.
  pipeline(Readable.from(age.plaintext(from.compressed), { objectMode: false }), split, zstd, () => {});
  let pos = from.raw;
  try {
    for await (const chunk of zstd as AsyncIterable<Buffer>) {
      const next = pos + chunk.length;
      const lo = Math.max(0, start - pos);
      const hi = end === null ? chunk.length : Math.min(chunk.length, end - pos);
      pos = next;
      if (hi > lo) yield lo === 0 && hi === chunk.length ? chunk : chunk.subarray(lo, hi);
      if (end !== null && pos >= end) return;
    }
  } finally {
    zstd.destroy();
  }
  if (end !== null) throw new SeekRangeError(`the archive ends at ${pos}, inside the range ${start}..${end}`);
  if (pos < start) throw new SeekRangeError(`the archive ends at ${pos}, before ${start}`);
}
