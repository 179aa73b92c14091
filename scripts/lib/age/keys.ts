/**
 * Native age X25519 keys and stanzas (https://age-encryption.org/v1, "X25519 recipient type") on node:crypto.
 * Raw 32-byte keys become KeyObjects through fixed DER prefixes (RFC 8410); the raw scalars we decode are
 * zeroed once the KeyObject holds them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomFillSync,
} from "node:crypto";
import { bech32Decode, bech32Encode } from "./bech32.ts";
import { b64Decode, b64Encode, HeaderError, type Stanza } from "./header.ts";

const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const WRAP_INFO = Buffer.from("age-encryption.org/v1/X25519");
const ZERO_NONCE = Buffer.alloc(12);

/** An `AGE-SECRET-KEY-1...` identity (not the post-quantum `-PQ-1`): the canonical spelling. */
export const isX25519Identity = (s: string) => s.startsWith("AGE-SECRET-KEY-1");

function bech32Payload(text: string, hrp: string): Buffer | null {
  try {
    const { hrp: got, data } = bech32Decode(text);
    if (got === hrp && data.length === 32) return data;
    data.fill(0);
  } catch {}
  return null;
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

function rawPublic(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/**
 * A recipient's raw public key, or null when `s` is not a well-formed X25519 age recipient (such as the
 * age1pq1 / age1tag1 types, which the library handles).
 */
export function parseX25519Recipient(s: string): Buffer | null {
  if (!s.startsWith("age1") || s !== s.toLowerCase()) return null;
  return bech32Payload(s, "age");
}

export type X25519Identity = { privateKey: KeyObject; publicKey: Buffer };

/** Decodes an identity into a private KeyObject and its raw public key; the decoded scalar is zeroed. */
export function parseX25519Identity(s: string): X25519Identity {
  const scalar = s === s.toUpperCase() ? bech32Payload(s, "age-secret-key-") : null;
  if (!scalar) throw new Error("invalid X25519 identity");
  const der = Buffer.concat([PKCS8_PREFIX, scalar]);
  try {
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    return { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) };
  } finally {
    scalar.fill(0);
    der.fill(0);
  }
}

export function x25519IdentityToRecipient(s: string): string {
  return bech32Encode("age", parseX25519Identity(s).publicKey);
}

export function generateX25519Identity(): string {
  const scalar = randomFillSync(Buffer.alloc(32));
  const identity = bech32Encode("AGE-SECRET-KEY-", scalar).toUpperCase();
  scalar.fill(0);
  return identity;
}

function wrapKey(shared: Buffer, share: Buffer, recipient: Buffer): Buffer {
  const salt = Buffer.concat([share, recipient]);
  return Buffer.from(hkdfSync("sha256", shared, salt, WRAP_INFO, 32));
}

/** The stanza that wraps `fileKey` to one recipient, with a fresh ephemeral key. */
export function wrapX25519(fileKey: Buffer, recipient: Buffer): Stanza {
  const eph = generateKeyPairSync("x25519");
  const share = rawPublic(eph.publicKey);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyObject(recipient) });
  const key = wrapKey(shared, share, recipient);
  try {
    const cipher = createCipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
    return { args: ["X25519", b64Encode(share)], body };
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}

/**
 * The file key from an X25519 stanza if it is for `identity`, else null (a wrong key fails the tag, as in
 * age). A malformed X25519 stanza throws: the header is broken, whoever it was for.
 */
export function unwrapX25519(stanza: Stanza, identity: X25519Identity): Buffer | null {
  const [, shareText] = stanza.args;
  const share = stanza.args.length === 2 && shareText ? b64Decode(shareText) : null;
  if (share?.length !== 32 || stanza.body.length !== 32) throw new HeaderError("malformed X25519 stanza");
  const shared = diffieHellmanOrNull(identity.privateKey, share);
  if (!shared) throw new HeaderError("X25519 stanza with a low-order share");
  const key = wrapKey(shared, share, identity.publicKey);
  try {
    const decipher = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
    decipher.setAuthTag(stanza.body.subarray(16));
    const fileKey = decipher.update(stanza.body.subarray(0, 16));
    try {
      decipher.final();
      return fileKey;
    } catch {
      fileKey.fill(0);
      return null;
    }
  } finally {
    shared.fill(0);
    key.fill(0);
  }
}

/** OpenSSL refuses an all-zero shared secret (low-order point); age requires that refusal too. */
function diffieHellmanOrNull(privateKey: KeyObject, share: Buffer): Buffer | null {
  try {
    const shared = diffieHellman({ privateKey, publicKey: publicKeyObject(share) });
    return shared.every((b) => b === 0) ? null : shared;
  } catch {
    return null;
  }
}
