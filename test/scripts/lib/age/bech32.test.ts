import { describe, expect, it } from "vitest";
import { bech32Decode, bech32Encode } from "../../../../scripts/lib/age/bech32.ts";
import { x25519IdentityToRecipient } from "../../../../scripts/lib/age/keys.ts";

// A throwaway pair printed by the stock `age-keygen` (1.1.1); public test data, never used for anything.
const KEYGEN_IDENTITY = "AGE-SECRET-KEY-10GCLL3ENU0P3ECH4FPJD99JQELLND6S76KK0XPXXECUY7FEL8TKSHD4QSX";
const KEYGEN_RECIPIENT = "age1kc6n3e06hh0chqrjhrxzjurx7uaum8xumrxd9tzt6u6zv8khjgpqe3gkga";

describe("bech32", () => {
  it("accepts the BIP 173 valid vectors", () => {
    expect(bech32Decode("A12UEL5L")).toEqual({ hrp: "a", data: Buffer.alloc(0) });
    expect(bech32Decode("a12uel5l").hrp).toBe("a");
    expect(bech32Decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw").hrp).toBe("abcdef");
    expect(bech32Decode("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w").hrp).toBe("split");
  });

  it("refuses mixed case, bad checksums, foreign characters and a missing separator", () => {
    expect(() => bech32Decode("A12uEL5L")).toThrow(/mixed case/);
    expect(() => bech32Decode("a12uel5m")).toThrow(/checksum/);
    expect(() => bech32Decode("a1b2uel5l")).toThrow(/character/);
    expect(() => bech32Decode("pzry9x0s0muk")).toThrow(/malformed/);
  });

  it("decodes and re-encodes age-keygen's keys exactly", () => {
    const { hrp, data } = bech32Decode(KEYGEN_RECIPIENT);
    expect(hrp).toBe("age");
    expect(data.length).toBe(32);
    expect(bech32Encode("age", data)).toBe(KEYGEN_RECIPIENT);
    const id = bech32Decode(KEYGEN_IDENTITY);
    expect(id.hrp).toBe("age-secret-key-");
    expect(bech32Encode("AGE-SECRET-KEY-", id.data).toUpperCase()).toBe(KEYGEN_IDENTITY);
  });

  it("derives age-keygen's recipient from its identity", () => {
    expect(x25519IdentityToRecipient(KEYGEN_IDENTITY)).toBe(KEYGEN_RECIPIENT);
  });

  it("round-trips long payloads (post-quantum recipients exceed BIP 173's 90 characters)", () => {
    const data = Buffer.from(Array.from({ length: 1216 }, (_, i) => (i * 37) & 0xff));
    const text = bech32Encode("age1pq", data);
    expect(text.length).toBeGreaterThan(1900);
    expect(bech32Decode(text).data.equals(data)).toBe(true);
  });
});
