import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../../posture/errors.ts";
import {
  decryptStream,
  encryptStream,
  generateIdentity,
  identityToRecipient,
  parseIdentities,
  readIdentityFile,
  recipientFingerprint,
} from "../../../scripts/lib/age.ts";
import { redact } from "../../../scripts/lib/redact.ts";
import { newKeyPair } from "../../support/age.ts";
import { pipeThrough } from "../../support/streams.ts";

/** Through `stages` in three uneven chunks, so age's 64 KiB chunk boundaries fall mid-write. */
const run = (data: Buffer, ...stages: Duplex[]) =>
  pipeThrough([data.subarray(0, 100), data.subarray(100, 70_000), data.subarray(70_000)], ...stages);

let identity: string;
let recipient: string;
beforeAll(async () => {
  ({ identity, recipient } = await newKeyPair());
});

describe("encryptStream / decryptStream", () => {
  it("round-trips several MB through the age format", async () => {
    const data = randomBytes(4 * 1024 * 1024 + 123);
    const sealed = await run(data, await encryptStream([recipient]));
    expect(sealed.subarray(0, 22).toString()).toBe("age-encryption.org/v1\n");
    expect(sealed.includes(data.subarray(0, 64))).toBe(false);
    expect((await run(sealed, await decryptStream([identity]))).equals(data)).toBe(true);
  });

  it("encrypts to several recipients, each of which can decrypt", async () => {
    const other = await generateIdentity();
    const data = randomBytes(10_000);
    const sealed = await run(data, await encryptStream([recipient, await identityToRecipient(other)]));
    expect((await run(sealed, await decryptStream([identity]))).equals(data)).toBe(true);
    expect((await run(sealed, await decryptStream([other]))).equals(data)).toBe(true);
  });

  it("handles empty input", async () => {
    const sealed = await run(Buffer.alloc(0), await encryptStream([recipient]));
    expect((await run(sealed, await decryptStream([identity]))).length).toBe(0);
  });

  it("names the expected and held recipients when the identity does not match", async () => {
    const wrong = await generateIdentity();
    const wrongRecipient = await identityToRecipient(wrong);
    const sealed = await run(randomBytes(1000), await encryptStream([recipient]));
    const err = await run(sealed, await decryptStream([wrong], { expectedRecipients: [recipient] })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("the age identity does not match any recipient of this backup");
    const hints = (err as UserError).hints.join("\n");
    expect(hints).toContain(recipientFingerprint(recipient));
    expect(hints).toContain(recipientFingerprint(wrongRecipient));
    expect(hints).not.toContain("AGE-SECRET-KEY");
  });

  it("rejects tampered ciphertext with a UserError", async () => {
    const sealed = await run(randomBytes(200_000), await encryptStream([recipient]));
    sealed.writeUInt8((sealed.readUInt8(sealed.length - 1000) ^ 1) & 0xff, sealed.length - 1000);
    await expect(run(sealed, await decryptStream([identity]))).rejects.toBeInstanceOf(UserError);
  });

  it("refuses bad recipients and an empty recipient list", async () => {
    await expect(encryptStream([])).rejects.toBeInstanceOf(UserError);
    await expect(encryptStream(["ssh-ed25519 AAAA"])).rejects.toThrow(/not a valid age recipient/);
  });
});

describe("recipientFingerprint", () => {
  it("is the first 16 hex chars of SHA-256 of the recipient string", () => {
    const expected = createHash("sha256").update(recipient).digest("hex").slice(0, 16);
    expect(recipientFingerprint(recipient)).toBe(expected);
    expect(recipientFingerprint(recipient)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("identity files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "rampart-age-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("parses age-keygen output: comments, blank lines, several keys; registers them for redaction", async () => {
    const second = await generateIdentity();
    const text = `# created: 2026-01-01T00:00:00Z\n# public key: ${recipient}\n${identity}\n\n  ${second}  \r\n`;
    expect(parseIdentities(text)).toEqual([identity, second]);
    expect(redact(`leaked ${identity}`)).not.toContain(identity);
  });

  it("names the bad line without echoing it", () => {
    let err: unknown;
    try {
      parseIdentities("# ok\nAGE-SECRET-KEY-1lowercase-not-valid\n", "key.txt");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("key.txt: line 2 is not an age identity");
    expect(() => parseIdentities("# only comments\n")).toThrow(/no age identity found/);
  });

  it("reads a 0600 file and refuses a group/world-readable one with a chmod hint", async () => {
    const path = join(dir, "key.txt");
    await writeFile(path, `${identity}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
    expect(await readIdentityFile(path)).toEqual([identity]);
    await chmod(path, 0o644);
    const err = await readIdentityFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).hints).toEqual([`chmod 600 ${path}`]);
  });

  it("derives the recipient of an identity", async () => {
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
  });
});
