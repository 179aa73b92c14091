import { randomBytes } from "node:crypto";
import { Decrypter, Encrypter } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decryptStream,
  encryptStream,
  generateIdentity,
  identityToRecipient,
} from "../../../../scripts/lib/age.ts";
import { newKeyPair } from "../../../support/age.ts";
import { pipeThrough } from "../../../support/streams.ts";
import { payloadStart } from "./craft.ts";

const CHUNK = 64 * 1024;

/** `data` cut into pseudo-random pieces (some empty, some several chunks long), reproducible per seed. */
function randomPieces(data: Buffer, seed: number): Buffer[] {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  const pieces: Buffer[] = [];
  for (let off = 0; off < data.length; ) {
    const pick = next() % 8;
    const size = pick === 0 ? 0 : pick < 4 ? next() % 1000 : pick < 7 ? next() % (2 * CHUNK) : 3 * CHUNK + 17;
    pieces.push(data.subarray(off, off + size));
    off += size;
  }
  return pieces;
}

let identity: string;
let recipient: string;
beforeAll(async () => {
  ({ identity, recipient } = await newKeyPair());
});

describe("native age streams", () => {
  const sizes = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * 1024 * 1024 + 3];
  for (const size of sizes) {
    it(`round-trips ${size} bytes written in random pieces, with age's exact payload size`, async () => {
      const data = randomBytes(size);
      const sealed = await pipeThrough(randomPieces(data, size), await encryptStream([recipient]));
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      expect(sealed.length - payloadStart(sealed)).toBe(size + 16 * chunks);
      const opened = await pipeThrough(randomPieces(sealed, size + 1), await decryptStream([identity]));
      expect(opened.equals(data)).toBe(true);
    });
  }

  it("writes the age v1 header: version, one X25519 stanza per recipient, a MAC line", async () => {
    const other = await identityToRecipient(await generateIdentity());
    const sealed = await pipeThrough([Buffer.from("x")], await encryptStream([recipient, other]));
    const lines = sealed
      .subarray(0, payloadStart(sealed) - 16)
      .toString("latin1")
      .split("\n");
    expect(lines[0]).toBe("age-encryption.org/v1");
    expect(lines[1]).toMatch(/^-> X25519 [A-Za-z0-9+/]{43}$/);
    expect(lines[2]).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(lines[3]).toMatch(/^-> X25519 [A-Za-z0-9+/]{43}$/);
    expect(lines[5]).toMatch(/^--- [A-Za-z0-9+/]{43}$/);
    expect(lines[6]).toBe("");
  });

  it("the age-encryption library (an independent implementation) reads ours, and we read its files", async () => {
    const data = randomBytes(3 * CHUNK + 5);
    const sealed = await pipeThrough([data], await encryptStream([recipient]));
    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    expect(Buffer.from(await decrypter.decrypt(sealed)).equals(data)).toBe(true);

    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    const theirs = Buffer.from(await encrypter.encrypt(data));
    expect((await pipeThrough(randomPieces(theirs, 7), await decryptStream([identity]))).equals(data)).toBe(
      true,
    );
  });

  it("tries every identity against every stanza", async () => {
    const [a, b, c] = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
    const data = randomBytes(1000);
    const to = await Promise.all([a, b].map((i) => identityToRecipient(i)));
    const sealed = await pipeThrough([data], await encryptStream(to));
    expect((await pipeThrough([sealed], await decryptStream([c, b]))).equals(data)).toBe(true);
    expect((await pipeThrough([sealed], await decryptStream([c, a]))).equals(data)).toBe(true);
  });

  it("emits ciphertext in batches, not one push per 64 KiB chunk", async () => {
    const enc = await encryptStream([recipient]);
    const sizes: number[] = [];
    enc.on("data", (b: Buffer) => sizes.push(b.length));
    const done = new Promise((resolve) => enc.on("end", resolve));
    enc.end(randomBytes(40 * CHUNK));
    await done;
    expect(sizes.length).toBeLessThan(15);
  });
});
