/**
 * Recipient and identity types other than X25519 (post-quantum `age1pq1...` / `AGE-SECRET-KEY-PQ-1...`, tag
 * recipients) go through the `age-encryption` library, for the header only: it wraps or unwraps the file
 * key, and the payload stays on the native path. Age 1.1 reads none of these types; age ≥ 1.3 does.
 */
import { HeaderError, parseHeader, type Stanza } from "./header.ts";

// Loaded on first use: the X25519-only path (every backup today) never pays for the library and its
// noble/post-quantum dependencies at startup.
const library = () => import("age-encryption");

/** Throws (the library's message) when `recipient` is not a recipient the library accepts. */
export async function checkLibraryRecipient(recipient: string): Promise<void> {
  new (await library()).Encrypter().addRecipient(recipient);
}

/** Throws when `identity` is not an identity the library accepts. */
export async function checkLibraryIdentity(identity: string): Promise<void> {
  new (await library()).Decrypter().addIdentity(identity);
}

/**
 * A library-chosen file key and the library's stanzas wrapping it to `recipients`. The library exposes no
 * "wrap this key" call, so a recipient object of ours captures the file key it draws, and the stanzas are
 * read back from the header of an empty file it encrypts.
 */
export async function libraryStanzas(
  recipients: readonly string[],
): Promise<{ fileKey: Buffer; stanzas: Stanza[] }> {
  const encrypter = new (await library()).Encrypter();
  let drawn: Uint8Array | undefined;
  encrypter.addRecipient({
    wrapFileKey(key: Uint8Array) {
      drawn = key;
      return [];
    },
  });
  for (const r of recipients) encrypter.addRecipient(r);
  const file = Buffer.from(await encrypter.encrypt(new Uint8Array(0)));
  if (!drawn) throw new Error("age-encryption did not hand out a file key");
  const fileKey = Buffer.from(drawn);
  drawn.fill(0);
  const header = parseHeader(file);
  if (!header) throw new Error("age-encryption wrote an incomplete header");
  return { fileKey, stanzas: header.stanzas };
}

/** The file key the library's identities unwrap from `header` (MAC checked), or null if none matches. */
export async function libraryUnwrap(identities: readonly string[], header: Buffer): Promise<Buffer | null> {
  const decrypter = new (await library()).Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  try {
    const drawn = await decrypter.decryptHeader(header);
    const fileKey = Buffer.from(drawn);
    drawn.fill(0);
    return fileKey;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no identity matched/.test(message)) return null;
    throw new HeaderError(message);
  }
}

export const libraryIdentityToRecipient = async (identity: string) =>
  (await library()).identityToRecipient(identity);
