// Cutting a zstd stream at its frame ends (scripts/lib/zstd-split.ts). Node's zstd decompressor drops every
// frame after one that ends inside a write while it has output space left; the split stage must make any
// sequence of frames (with and without checksums or content sizes, skippable ones, empty ones) decode
// whole, however the stream is cut into writes.
import { randomBytes } from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { decompressStages, decompressStream } from "../../../scripts/lib/compress.ts";
import { ZstdFrameEnds } from "../../../scripts/lib/zstd-split.ts";
import { pipeThrough } from "../../support/streams.ts";

const {
  ZSTD_c_checksumFlag: CHECKSUM,
  ZSTD_c_contentSizeFlag: SIZE,
  ZSTD_c_compressionLevel: LEVEL,
} = zlib.constants;

function frame(data: Buffer, checksum: 0 | 1, size: 0 | 1): Buffer {
  return zlib.zstdCompressSync(data, { params: { [LEVEL]: 3, [CHECKSUM]: checksum, [SIZE]: size } });
}

function skippable(n: number): Buffer {
  const f = Buffer.alloc(8 + n, 7);
  f.writeUInt32LE(0x184d2a53, 0);
  f.writeUInt32LE(n, 4);
  return f;
}

/** Frames of assorted kinds and sizes (incompressible parts make raw blocks), and what they decode to. */
function assorted(): { stream: Buffer; plain: Buffer; ends: number[] } {
  const parts: Buffer[] = [];
  const plain: Buffer[] = [];
  const ends: number[] = [];
  let at = 0;
  const add = (f: Buffer, p?: Buffer) => {
    parts.push(f);
    if (p) plain.push(p);
    at += f.length;
    ends.push(at);
  };
  for (let i = 0; i < 12; i++) {
    const data = Buffer.concat([Buffer.alloc(1000 * i + 1, i), randomBytes(300_000 * (i % 3))]);
    add(frame(data, (i % 2) as 0 | 1, (i % 3 === 0 ? 0 : 1) as 0 | 1), data);
    if (i % 4 === 1) add(skippable(i * 5));
  }
  add(frame(Buffer.alloc(0), 1, 1), Buffer.alloc(0));
  return { stream: Buffer.concat(parts), plain: Buffer.concat(plain), ends };
}

/** `buf` in writes of pseudo-random sizes, reproducible per seed. */
function pieces(buf: Buffer, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let s = seed;
  for (let at = 0; at < buf.length; ) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = s % 5 === 0 ? 1 + (s % 7) : s % 200_000;
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe("zstd frame split", () => {
  const { stream, plain, ends } = assorted();

  it("finds every frame end, however the stream is cut", () => {
    for (const seed of [1, 2, 3]) {
      const finder = new ZstdFrameEnds();
      const found: number[] = [];
      let at = 0;
      for (const p of pieces(stream, seed)) {
        found.push(...finder.scan(p).map((e) => at + e));
        at += p.length;
      }
      expect(finder.lost).toBe(false);
      expect(found).toEqual(ends);
    }
  });

  it("Node's decompressor alone drops the frames after one that ends mid-write (why the split exists)", async () => {
    const whole = await pipeThrough([stream], decompressStream("zstd"));
    expect(whole.length).toBeLessThan(plain.length);
  });

  it.each([1, 2, 3])(
    "decodes every frame with the split in front (writes cut with seed %i)",
    async (seed) => {
      const got = await pipeThrough(pieces(stream, seed), ...decompressStages("zstd"));
      expect(got.equals(plain)).toBe(true);
      expect((await pipeThrough([stream], ...decompressStages("zstd"))).equals(plain)).toBe(true);
    },
  );

  it("leaves input that is not zstd to the decompressor, which refuses it", async () => {
    const finder = new ZstdFrameEnds();
    expect(finder.scan(Buffer.from("definitely not zstd"))).toEqual([]);
    expect(finder.lost).toBe(true);
    await expect(
      pipeThrough([Buffer.from("definitely not zstd")], ...decompressStages("zstd")),
    ).rejects.toThrow();
  });
});
