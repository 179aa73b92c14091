// Post-quantum (ML-KEM-768 + X25519) keys go through the age-encryption library for the header; the
// payload stays native. The stock age 1.1 here cannot read these (age ≥ 1.3 can), so interop is checked
// against the library, an independent implementation.
import { randomBytes } from "node:crypto";
import { Decrypter, generateHybridIdentity } from "age-encryption";
import { beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../../../posture/errors.ts";
import {
  decryptStream,
  encryptStream,
  generateIdentity,
  identityToRecipient,
  parseIdentities,
} from "../../../../scripts/lib/age.ts";
import { pipeThrough } from "../../../support/streams.ts";

let pq: string;
let pqRecipient: string;
let classic: string;
beforeAll(async () => {
  pq = await generateHybridIdentity();
  pqRecipient = await identityToRecipient(pq);
  classic = await generateIdentity();
});

describe("post-quantum fallback", () => {
  it("accepts PQ identity lines and derives their age1pq1 recipient", () => {
    expect(parseIdentities(`${pq}\n`)).toEqual([pq]);
    expect(pqRecipient).toMatch(/^age1pq1[0-9a-z]+$/);
  });

  it("round-trips to a PQ recipient, and the library reads what we wrote", async () => {
    const data = randomBytes(200_000);
    const sealed = await pipeThrough([data], await encryptStream([pqRecipient]));
    expect(sealed.toString("latin1", 0, 200)).toContain("-> mlkem768x25519 ");
    expect((await pipeThrough([sealed], await decryptStream([pq]))).equals(data)).toBe(true);
    const decrypter = new Decrypter();
    decrypter.addIdentity(pq);
    expect(Buffer.from(await decrypter.decrypt(sealed)).equals(data)).toBe(true);
  });

  it("mixes PQ and X25519 recipients; each identity decrypts, alone or with the other", async () => {
    const data = randomBytes(70_000);
    const sealed = await pipeThrough(
      [data],
      await encryptStream([await identityToRecipient(classic), pqRecipient]),
    );
    for (const ids of [[pq], [classic], [classic, pq]])
      expect((await pipeThrough([sealed], await decryptStream(ids))).equals(data)).toBe(true);
  });

  it("a PQ identity that does not match is named in the hint by its recipient", async () => {
    const sealed = await pipeThrough(
      [randomBytes(10)],
      await encryptStream([await identityToRecipient(classic)]),
    );
    const err = await pipeThrough([sealed], await decryptStream([pq])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).hints.join("\n")).toContain(pqRecipient);
  });
});
