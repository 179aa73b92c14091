// Decrypting an age file from any plaintext offset (scripts/lib/age/seekable.ts): the restore decodes a
// backup's largest table from the middle of the object. Every chunk read must still authenticate for
// its position, and the errors must be decryptStream's.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../../../posture/errors.ts";
import { SeekableAgeFile } from "../../../../scripts/lib/age/seekable.ts";
import { encryptStream } from "../../../../scripts/lib/age.ts";
import { newKeyPair } from "../../../support/age.ts";
import { pipeThrough } from "../../../support/streams.ts";
import { tempDir } from "../../../support/temp.ts";

const CHUNK = 64 * 1024;
const execFileP = promisify(execFile);
let dir: string;
let identity: string;
let recipient: string;

beforeAll(async () => {
  dir = await tempDir("rampart-seekable-");
  ({ identity, recipient } = await newKeyPair());
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function encryptedFile(name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, await pipeThrough([data], await encryptStream([recipient])));
  return path;
}

async function readFrom(age: SeekableAgeFile, from: number): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const chunk of age.plaintext(from)) out.push(chunk);
  return Buffer.concat(out);
}

describe("SeekableAgeFile", () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 20 * CHUNK + 5];
  it.each(sizes)("gives the plaintext from any offset, for a %i-byte file", async (size) => {
    const data = randomBytes(size);
    const age = await SeekableAgeFile.open(await encryptedFile(`f${size}`, data), [identity]);
    try {
      expect(age.size).toBe(size);
      const offsets = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 17 * CHUNK + 3, size - 1, size].filter(
        (o) => o >= 0 && o <= size,
      );
      for (const from of offsets) expect((await readFrom(age, from)).equals(data.subarray(from))).toBe(true);
      await expect(readFrom(age, size + 1)).rejects.toThrow(/past the end/);
    } finally {
      await age.close();
    }
  });

  it("reads what the stock age CLI wrote", async () => {
    const data = randomBytes(5 * CHUNK + 99);
    const plain = join(dir, "stock.bin");
    const out = join(dir, "stock.age");
    await writeFile(plain, data);
    await execFileP("age", ["-r", recipient, "-o", out, plain]);
    const age = await SeekableAgeFile.open(out, [identity]);
    try {
      expect((await readFrom(age, 2 * CHUNK + 7)).equals(data.subarray(2 * CHUNK + 7))).toBe(true);
    } finally {
      await age.close();
    }
  });

  it("refuses a tampered chunk when it is read, naming the chunk, and a cut file when opened", async () => {
    const data = randomBytes(6 * CHUNK);
    const path = await encryptedFile("tampered", data);
    const bytes = await readFile(path);
    const payloadAt = bytes.length - 6 * (CHUNK + 16);
    const flip = payloadAt + 4 * (CHUNK + 16) + 100; // in chunk 4
    bytes.writeUInt8(bytes.readUInt8(flip) ^ 1, flip);
    await writeFile(path, bytes);
    const age = await SeekableAgeFile.open(path, [identity]);
    try {
      // Chunk 5 alone is intact; from chunk 3 on, chunk 4 is read and refused.
      expect((await readFrom(age, 5 * CHUNK)).equals(data.subarray(5 * CHUNK))).toBe(true);
      const err = await readFrom(age, 3 * CHUNK).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(/does not decrypt: payload chunk 4 failed authentication/);
    } finally {
      await age.close();
    }
    await writeFile(path, bytes.subarray(0, payloadAt + 5 * (CHUNK + 16) + 8));
    await expect(SeekableAgeFile.open(path, [identity])).rejects.toThrow(/truncated: the last chunk is cut/);
  });

  it("says which recipients the backup was for when the identity does not fit", async () => {
    const path = await encryptedFile("other", randomBytes(100));
    const other = await newKeyPair();
    const err = await SeekableAgeFile.open(path, [other.identity], { expectedRecipients: [recipient] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/does not match any recipient/);
    expect((err as UserError).hints.join("\n")).toContain(recipient);
    expect(String((err as UserError).hints)).not.toContain(other.identity);
  });
});
