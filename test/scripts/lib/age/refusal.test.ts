// Every way an age file can be wrong is refused with a UserError that says what is wrong.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../../../posture/errors.ts";
import {
  decryptStream,
  encryptStream,
  generateIdentity,
  identityToRecipient,
} from "../../../../scripts/lib/age.ts";
import { newKeyPair } from "../../../support/age.ts";
import { pipeThrough } from "../../../support/streams.ts";
import { craftFile, payloadStart } from "./craft.ts";

const CHUNK = 64 * 1024;
const SEALED = CHUNK + 16;
const CORRUPT_HINT =
  "the object is corrupt, truncated or was tampered with; verify its sha256 against the manifest";

let identity: string;
let recipient: string;
beforeAll(async () => {
  ({ identity, recipient } = await newKeyPair());
});

const seal = async (data: Buffer, to = [recipient]) => pipeThrough([data], await encryptStream(to));

/** The UserError decrypting `file` fails with (fed in two pieces, so the header arrives split). */
async function refusal(file: Buffer): Promise<UserError> {
  const err = await pipeThrough(
    [file.subarray(0, 30), file.subarray(30)],
    await decryptStream([identity]),
  ).then(
    () => new Error("decrypted"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

async function expectCorrupt(file: Buffer, reason: RegExp): Promise<void> {
  const err = await refusal(file);
  expect(err.message).toMatch(/^the backup does not decrypt: /);
  expect(err.message).toMatch(reason);
  expect(err.hints).toEqual([CORRUPT_HINT]);
}

const flip = (file: Buffer, at: number) => {
  const copy = Buffer.from(file);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
};

/** `file` with the base64 character at `at` replaced by another valid one ("A" or "B"). */
const retype = (file: Buffer, at: number) => {
  const copy = Buffer.from(file);
  copy[at] = copy[at] === 0x41 ? 0x42 : 0x41;
  return copy;
};

describe("tampering", () => {
  it("a changed version line", async () => {
    await expectCorrupt(flip(await seal(randomBytes(100)), 3), /unknown version/);
    await expectCorrupt(Buffer.from("age-encryption.org/v2\n-> X25519 abc\n"), /unknown version/);
  });

  it("a changed stanza we do not hold (header MAC)", async () => {
    const other = await identityToRecipient(await generateIdentity());
    const file = await seal(randomBytes(100), [recipient, other]);
    const second = file.indexOf("-> X25519", file.indexOf("-> X25519") + 1);
    await expectCorrupt(retype(file, second + 20), /invalid header MAC/);
  });

  it("a changed MAC", async () => {
    const file = await seal(randomBytes(100));
    await expectCorrupt(retype(file, file.indexOf("\n--- ") + 10), /invalid header MAC/);
  });

  it("a changed payload byte, and a changed last tag", async () => {
    const file = await seal(randomBytes(3 * CHUNK));
    await expectCorrupt(flip(file, payloadStart(file) + 5), /payload chunk 0 failed authentication/);
    await expectCorrupt(flip(file, file.length - 1), /payload chunk 2 failed authentication/);
  });

  it("a changed stanza of ours reads as a wrong identity (age cannot tell them apart)", async () => {
    const file = await seal(randomBytes(100));
    const err = await refusal(retype(file, file.indexOf("\n", 30) + 1)); // our stanza's body
    expect(err.message).toBe("the age identity does not match any recipient of this backup");
  });

  it("a malformed header: non-canonical base64, over-long body line, missing MAC line", async () => {
    const file = (await seal(randomBytes(100))).toString("latin1");
    const bodyLine = file.split("\n")[2] as string;
    await expectCorrupt(Buffer.from(file.replace(bodyLine, `${bodyLine}=`), "latin1"), /malformed/);
    await expectCorrupt(Buffer.from(file.replace(bodyLine, bodyLine.repeat(2)), "latin1"), /malformed/);
    await expectCorrupt(Buffer.from("age-encryption.org/v1\n-> X25519 abc\nabc\n"), /truncated header/);
  });
});

describe("truncation and trailing data", () => {
  it("cut at a chunk boundary, mid-chunk, right after the header, inside the header", async () => {
    const file = await seal(randomBytes(3 * CHUNK + 100));
    const start = payloadStart(file);
    await expectCorrupt(file.subarray(0, start + 2 * SEALED), /ends before its final chunk/);
    await expectCorrupt(file.subarray(0, start + SEALED + 1000), /chunk 1 failed authentication/);
    await expectCorrupt(file.subarray(0, start + 3 * SEALED + 50), /chunk 3 failed authentication/);
    await expectCorrupt(file.subarray(0, start), /payload is missing/);
    await expectCorrupt(file.subarray(0, start - 20), /truncated/);
    await expectCorrupt(Buffer.alloc(0), /empty/);
  });

  it("bytes after a full final chunk, and after a short one", async () => {
    const full = await seal(randomBytes(2 * CHUNK));
    await expectCorrupt(Buffer.concat([full, Buffer.from("x")]), /trailing data after the final chunk/);
    await expectCorrupt(Buffer.concat([full, full.subarray(-SEALED)]), /trailing data/);
    const short = await seal(randomBytes(1000));
    await expectCorrupt(Buffer.concat([short, Buffer.from("xyz")]), /chunk 0 failed authentication/);
  });
});

describe("chunk rules", () => {
  it("refuses a non-final empty chunk and an empty final chunk after data", async () => {
    const data = { plain: randomBytes(CHUNK), last: false };
    const emptyFirst = craftFile(recipient, [
      { plain: Buffer.alloc(0), last: false },
      { ...data, last: true },
    ]);
    await expectCorrupt(emptyFirst, /failed authentication/);
    const emptyLast = craftFile(recipient, [data, { plain: Buffer.alloc(0), last: true }]);
    await expectCorrupt(emptyLast, /the final chunk is empty/);
  });

  it("refuses a short non-final chunk, and a file without a final chunk", async () => {
    const short = craftFile(recipient, [
      { plain: randomBytes(100), last: false },
      { plain: randomBytes(100), last: true },
    ]);
    await expectCorrupt(short, /failed authentication/);
    const noFinal = craftFile(recipient, [{ plain: randomBytes(CHUNK), last: false }]);
    await expectCorrupt(noFinal, /ends before its final chunk/);
  });

  it("accepts a well-formed crafted file (the crafting is right)", async () => {
    const plain = randomBytes(CHUNK + 10);
    const file = craftFile(recipient, [
      { plain: plain.subarray(0, CHUNK), last: false },
      { plain: plain.subarray(CHUNK), last: true },
    ]);
    expect((await pipeThrough([file], await decryptStream([identity]))).equals(plain)).toBe(true);
  });

  it("skips stanzas of unknown types, but refuses a malformed X25519 stanza", async () => {
    const plain = randomBytes(10);
    const unknown = { args: ["example.com/custom", "arg"], body: randomBytes(48) };
    const withUnknown = craftFile(recipient, [{ plain, last: true }], [unknown]);
    expect((await pipeThrough([withUnknown], await decryptStream([identity]))).equals(plain)).toBe(true);
    const bad = { args: ["X25519"], body: randomBytes(32) };
    await expectCorrupt(craftFile(recipient, [{ plain, last: true }], [bad]), /malformed X25519 stanza/);
    const lowOrder = { args: ["X25519", "A".repeat(43)], body: randomBytes(32) };
    await expectCorrupt(craftFile(recipient, [{ plain, last: true }], [lowOrder]), /low-order/);
  });
});

describe("identities", () => {
  it("a wrong identity names both sides' recipients and fingerprints", async () => {
    const wrong = await generateIdentity();
    const file = await seal(randomBytes(10));
    const err = await pipeThrough(
      [file],
      await decryptStream([wrong], { expectedRecipients: [recipient] }),
    ).catch((e: unknown) => e as UserError);
    expect(err).toBeInstanceOf(UserError);
    const hints = (err as UserError).hints.join("\n");
    expect(hints).toContain(`this backup was encrypted to: ${recipient} (`);
    expect(hints).toContain(`the identities given are for: ${await identityToRecipient(wrong)} (`);
    expect(hints).not.toContain("AGE-SECRET-KEY");
  });

  it("an identity with a bad checksum is a UserError that does not echo it", async () => {
    const broken = `${identity.slice(0, -1)}${identity.endsWith("Q") ? "P" : "Q"}`;
    const err = await decryptStream([broken]).catch((e: unknown) => e as UserError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/not valid/);
    expect(`${(err as UserError).message} ${(err as UserError).hints.join(" ")}`).not.toContain(broken);
  });
});
