import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type CompressionAlgorithm,
  compressStream,
  decompressStream,
} from "../../../scripts/lib/compress.ts";
import { pipeThrough } from "../../support/streams.ts";

/** Compressible but not trivial: repeated text lines with random numbers, like a SQL dump. */
function sample(bytes: number): Buffer {
  const lines: string[] = [];
  let n = 0;
  while (n < bytes) {
    const line = `INSERT INTO t VALUES (${n}, '${randomBytes(4).toString("hex")}', 'some repeated text');\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

const through = (data: Buffer, ...stages: Duplex[]) =>
  pipeThrough([data.subarray(0, 4096), data.subarray(4096)], ...stages);

describe("compressStream / decompressStream", () => {
  const data = sample(3 * 1024 * 1024);

  it.each<[CompressionAlgorithm, number]>([
    ["zstd", 3],
    ["zstd", 9],
    ["gzip", 6],
    ["none", 0],
  ])("round-trips %s level %d", async (algorithm, level) => {
    const packed = await through(data, compressStream({ algorithm, level }));
    if (algorithm === "none") expect(packed.equals(data)).toBe(true);
    else expect(packed.length).toBeLessThan(data.length / 2);
    expect((await through(packed, decompressStream(algorithm))).equals(data)).toBe(true);
  });

  it("writes standard formats (zstd frame magic, gzip readable by zlib)", async () => {
    const zst = await through(data, compressStream({ algorithm: "zstd", level: 3 }));
    expect(zst.readUInt32LE(0)).toBe(0xfd2fb528);
    const gz = await through(data, compressStream({ algorithm: "gzip", level: 6 }));
    expect(gunzipSync(gz).equals(data)).toBe(true);
  });

  it("fails on corrupt input instead of returning garbage", async () => {
    const zst = await through(data, compressStream({ algorithm: "zstd", level: 3 }));
    const mid = Math.floor(zst.length / 2);
    zst.writeUInt8(zst.readUInt8(mid) ^ 0xff, mid);
    await expect(through(zst, decompressStream("zstd"))).rejects.toThrow();
  });
});
