// Decoding a range of a backup's archive from the zstd frame that holds it (scripts/lib/restore/
// seek-decode.ts), through the same stages as a backup: framed zstd, then age. The frames are those the
// compressor reports (as the backup's seek index records them); every range must equal the input's slice.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeekableAgeFile } from "../../../../scripts/lib/age/seekable.ts";
import { encryptStream } from "../../../../scripts/lib/age.ts";
import type { FrameRef } from "../../../../scripts/lib/backup/seek-index.ts";
import { ARCHIVE_START, decodeRange } from "../../../../scripts/lib/restore/seek-decode.ts";
import { FramedZstdCompress } from "../../../../scripts/lib/zstd-frames.ts";
import { newKeyPair } from "../../../support/age.ts";
import { pipeThrough } from "../../../support/streams.ts";
import { tempDir } from "../../../support/temp.ts";

const FRAME = 100_000; // input bytes per frame: not a multiple of age's 64 KiB chunks
let dir: string;
let age: SeekableAgeFile;
let data: Buffer;
const frames: FrameRef[] = [];

/** Compressible but not trivial: words from a small alphabet with random bytes between. */
function sample(bytes: number): Buffer {
  const words = ["alpha ", "beta ", "gamma ", "delta "];
  const parts: Buffer[] = [];
  for (let n = 0; n < bytes; ) {
    const part = Math.random() < 0.2 ? randomBytes(7) : Buffer.from(words[n % 4] as string);
    parts.push(part);
    n += part.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

const frameHolding = (pos: number) => frames.findLast((f) => f.raw <= pos) as FrameRef;

async function range(start: number, end: number | null): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of decodeRange(age, frameHolding(start), start, end)) out.push(chunk);
  return Buffer.concat(out);
}

beforeAll(async () => {
  dir = await tempDir("rampart-seek-decode-");
  const { identity, recipient } = await newKeyPair();
  data = sample(1_234_567);
  let raw = 0;
  let compressed = 0;
  const zstd = new FramedZstdCompress({
    level: 3,
    blockBytes: FRAME,
    onFrame: (contentBytes, frameBytes) => {
      frames.push({ raw, compressed });
      raw += contentBytes;
      compressed += frameBytes;
    },
  });
  const path = join(dir, "archive.zst.age");
  await writeFile(path, await pipeThrough([data], zstd, await encryptStream([recipient])));
  age = await SeekableAgeFile.open(path, [identity]);
});
afterAll(async () => {
  await age?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("decodeRange", () => {
  it("the compressor reports every frame, in order", () => {
    expect(frames.length).toBe(Math.ceil(data.length / FRAME));
    expect(frames.every((f, i) => f.raw === i * FRAME)).toBe(true);
  });

  const cases: [number, number | null][] = [
    [0, 10],
    [0, FRAME],
    [FRAME - 1, FRAME + 1],
    [FRAME, 2 * FRAME],
    [3 * FRAME + 12_345, 9 * FRAME + 7],
    [5 * FRAME + 1, null],
    [1_234_566, null],
    [1_234_567, null],
    [0, null],
    [777, 777],
  ];
  it.each(cases)("bytes %i..%s equal the input's", async (start, end) => {
    const got = await range(start, end);
    expect(got.equals(data.subarray(start, end ?? undefined))).toBe(true);
  });

  it("refuses a frame after the start, and a range past the end", async () => {
    await expect(range(0, 5)).resolves.toHaveLength(5);
    const late = decodeRange(age, frames[2] as FrameRef, FRAME, 2 * FRAME);
    await expect(late.next()).rejects.toThrow(/cannot give archive bytes/);
    await expect(range(1_234_000, 1_300_000)).rejects.toThrow(/ends at 1234567, inside the range/);
  });

  it("starts at the archive's first frame", async () => {
    const first: Buffer[] = [];
    for await (const chunk of decodeRange(age, ARCHIVE_START, 0, 100)) first.push(chunk);
    expect(Buffer.concat(first).equals(data.subarray(0, 100))).toBe(true);
  });
});
