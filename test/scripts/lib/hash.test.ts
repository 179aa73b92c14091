import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { HashTap, sha256File } from "../../../scripts/lib/hash.ts";

describe("HashTap", () => {
  it("passes bytes through unchanged while counting and hashing them", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const tap = new HashTap();
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      tap,
      async (s: AsyncIterable<Buffer>) => {
        for await (const c of s) out.push(c);
      },
    );
    expect(Buffer.concat(out).equals(data)).toBe(true);
    expect(tap.bytes).toBe(data.length);
    expect(tap.sha256()).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("refuses to give a digest before the stream ended", () => {
    const tap = new HashTap();
    tap.write(Buffer.from("partial"));
    expect(() => tap.sha256()).toThrow(/before the stream ended/);
  });

  it("hashes the empty stream", async () => {
    const tap = new HashTap();
    await pipeline(Readable.from([]), tap, async (s: AsyncIterable<Buffer>) => {
      for await (const _ of s);
    });
    expect(tap.sha256()).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("sha256File", () => {
  it("matches the digest of the file's content", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rampart-hash-"));
    try {
      const data = randomBytes(200_000);
      await writeFile(join(dir, "f"), data);
      expect(await sha256File(join(dir, "f"))).toBe(createHash("sha256").update(data).digest("hex"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
