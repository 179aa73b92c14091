import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { BlockPool } from "../../../scripts/lib/block-pool.ts";
import { frameProblem } from "../../../scripts/lib/zstd-frame-check.ts";
import { FramedZstdCompress } from "../../../scripts/lib/zstd-frames.ts";

/** Half random, half repetitive: frames of different cost, so parallel frames finish out of order. */
function sample(bytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let n = 0; n < bytes; n += 64 * 1024)
    parts.push((n / 65536) % 2 ? randomBytes(64 * 1024) : Buffer.alloc(64 * 1024, `row ${n}\n`));
  return Buffer.concat(parts).subarray(0, bytes);
}

async function compress(input: Buffer, blockBytes: number, inFlight: number): Promise<Buffer> {
  const out: Buffer[] = [];
  const chunks = Array.from({ length: Math.ceil(input.length / 10_000) }, (_, i) =>
    input.subarray(i * 10_000, (i + 1) * 10_000),
  );
  const z = new FramedZstdCompress({ level: 3, blockBytes, inFlight });
  z.on("data", (c: Buffer) => out.push(c));
  await pipeline(Readable.from(chunks), z);
  return Buffer.concat(out);
}

describe("FramedZstdCompress", () => {
  it("emits frames in input order: Node's decompressor and the stock zstd CLI both read them back exactly", async () => {
    const input = sample(3 * 1024 * 1024 + 12_345);
    const framed = await compress(input, 256 * 1024, 4); // 13 frames, up to 4 in flight
    expect(await buffer(Readable.from([framed]).pipe(zlib.createZstdDecompress()))).toEqual(input);
    expect(execFileSync("zstd", ["-d", "-q", "-c"], { input: framed, maxBuffer: 64 * 1024 * 1024 })).toEqual(
      input,
    );
  });

  it("checksums every frame: a flipped byte fails decompression", async () => {
    const framed = await compress(sample(600_000), 256 * 1024, 2);
    const broken = Buffer.from(framed);
    const at = Math.floor(broken.length / 2);
    broken[at] = (broken[at] ?? 0) ^ 0xff;
    await expect(buffer(Readable.from([broken]).pipe(zlib.createZstdDecompress()))).rejects.toThrow();
  });

  it("turns empty input into one empty frame, which decompresses to nothing", async () => {
    const framed = await compress(Buffer.alloc(0), 1024, 2);
    expect(framed.length).toBeGreaterThan(0);
    expect((await buffer(Readable.from([framed]).pipe(zlib.createZstdDecompress()))).length).toBe(0);
  });

  it("compresses about as well as one stream when blocks exceed zstd's window", async () => {
    const input = Buffer.alloc(8 * 1024 * 1024, "customer,invoice,2026-11-21,42.00\n");
    const framed = await compress(input, 4 * 1024 * 1024, 3);
    const single = zlib.zstdCompressSync(input, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } });
    expect(framed.length).toBeLessThan(single.length * 1.1 + 200);
  });
});

describe("frameProblem", () => {
  const frameOf = (input: Buffer) =>
    zlib.zstdCompressSync(input, {
      params: {
        [zlib.constants.ZSTD_c_compressionLevel]: 3,
        [zlib.constants.ZSTD_c_checksumFlag]: 1,
        [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
      },
    });

  it("accepts sound frames of every size class (1-, 2-, 4-byte content sizes; empty; incompressible)", () => {
    for (const input of [
      Buffer.alloc(0),
      Buffer.from("x"),
      Buffer.alloc(300, "a"),
      Buffer.alloc(70_000, "row\n"),
      randomBytes(300_000),
      sample(2 * 1024 * 1024),
    ])
      expect(frameProblem(frameOf(input), input.length)).toBeNull();
  });

  it("names what is wrong: truncation, extra bytes, a wrong size, a frame that starts elsewhere", () => {
    const input = sample(600_000);
    const frame = frameOf(input);
    expect(frameProblem(frame.subarray(0, frame.length - 1), input.length)).toMatch(
      /blocks end at byte|ends inside/,
    );
    expect(frameProblem(Buffer.concat([frame, Buffer.from([0])]), input.length)).toMatch(
      /blocks end at byte/,
    );
    expect(frameProblem(frame, input.length + 1)).toMatch(
      /header says 600000 content bytes, the input had 600001/,
    );
    expect(frameProblem(frame.subarray(7), input.length)).toMatch(/no zstd magic/);
    // Two frames glued together: the walk ends at the first one's end, not the buffer's.
    expect(frameProblem(Buffer.concat([frame, frame]), input.length)).toMatch(/blocks end at byte/);
  });

  it("every frame FramedZstdCompress emits passes it", async () => {
    const input = sample(3 * 1024 * 1024 + 5);
    const framed = await compress(input, 256 * 1024, 3);
    let at = 0;
    let frames = 0;
    for (let left = input.length; left > 0 || frames === 0; left -= 256 * 1024) {
      const content = Math.min(256 * 1024, left);
      // Find this frame's end by walking it: frameProblem on the exact slice must be null.
      let end = at + 6;
      while (end <= framed.length && frameProblem(framed.subarray(at, end), content) !== null) end++;
      expect(end).toBeLessThanOrEqual(framed.length);
      at = end;
      frames++;
      if (left <= 256 * 1024) break;
    }
    expect(at).toBe(framed.length);
    expect(frames).toBe(13);
  });

  it("compresses a shared pool's blocks in place and gives each back once its frame is out", async () => {
    const pool = new BlockPool(128 * 1024);
    const input = sample(5 * 128 * 1024 + 999);
    const blocks: Buffer[] = [];
    for (let at = 0; at < input.length; at += pool.blockBytes) {
      const block = pool.take();
      const n = input.copy(block, 0, at, at + pool.blockBytes);
      blocks.push(n === pool.blockBytes ? block : block.subarray(0, n)); // the last one partial
    }
    const z = new FramedZstdCompress({ level: 3, pool, inFlight: 2 });
    const out: Buffer[] = [];
    z.on("data", (c: Buffer) => out.push(c));
    await pipeline(Readable.from(blocks), z);
    const framed = Buffer.concat(out);
    expect(await buffer(Readable.from([framed]).pipe(zlib.createZstdDecompress()))).toEqual(input);
    // No block of its own (nothing copied), and every block back in the pool.
    expect(pool.allocated).toBe(6);
    expect(pool.available).toBe(6);
  });
});
