import { Transform, type TransformCallback } from "node:stream";
import { UserError } from "../../../posture/errors.ts";
import { registerSecret } from "../redact.ts";
import { bech32Encode } from "./bech32.ts";
import { checkLibraryIdentity, libraryIdentityToRecipient, libraryUnwrap } from "./fallback.ts";
import { recipientFingerprint as fingerprint } from "./fingerprint.ts";
import { HeaderError, type ParsedHeader, parseHeader, verifyHeaderMac } from "./header.ts";
import { isX25519Identity, parseX25519Identity, unwrapX25519, type X25519Identity } from "./keys.ts";
import { PayloadError, PayloadOpener, payloadKey } from "./payload.ts";

export type DecryptOptions = {
  /** Recipients the backup was encrypted to (from its manifest), named in the hint when no identity fits. */
  expectedRecipients?: readonly string[];
};

/** Bytes of the payload nonce between header and payload. */
export const NONCE = 16;
class NoIdentityMatched extends Error {}

/**
 * Decrypting Duplex: write the age file, read plaintext. Fails with a UserError when no identity matches
 * the file, or when the file does not authenticate (corrupt, truncated or tampered object). X25519
 * identities are tried natively; others (post-quantum) through the age-encryption library.
 */
export async function decryptStream(
  identities: readonly string[],
  opts: DecryptOptions = {},
): Promise<Transform> {
  const { unwrap, mapError } = await keyring(identities, opts);
  return new OpenStream(unwrap, mapError);
}

/** Unwraps a file key from a parsed header with the first identity that fits. */
export type Unwrap = (header: ParsedHeader, raw: Buffer) => Promise<Buffer>;

/**
 * The identities, checked, as an unwrapper for headers, and the mapping from decryption failures to the
 * UserErrors a responder reads (no identity fits; corrupt, truncated or tampered file).
 */
export async function keyring(
  identities: readonly string[],
  opts: DecryptOptions = {},
): Promise<{ unwrap: Unwrap; mapError: (err: unknown) => Promise<unknown> }> {
  for (const identity of identities) registerSecret(identity);
  const native = identities.filter(isX25519Identity).map(parsedIdentity);
  const library = await Promise.all(
    identities.filter((i) => !isX25519Identity(i)).map(checkedLibraryIdentity),
  );
  const unwrap: Unwrap = async (header, raw) => {
    for (const identity of native)
      for (const stanza of header.stanzas) {
        if (stanza.args[0] !== "X25519") continue;
        const fileKey = unwrapX25519(stanza, identity);
        if (fileKey) return fileKey;
      }
    const fileKey = library.length > 0 ? await libraryUnwrap(library, raw) : null;
    if (!fileKey) throw new NoIdentityMatched("no identity matched any of the file's recipients");
    return fileKey;
  };
  const mapError = async (err: unknown): Promise<unknown> => {
    if (err instanceof NoIdentityMatched) {
      const held = [
        ...native.map((i) => bech32Encode("age", i.publicKey)),
        ...(await Promise.all(library.map((i) => libraryIdentityToRecipient(i).catch(() => "(unreadable)")))),
      ];
      return noMatchingIdentity(held, opts, err);
    }
    if (err instanceof HeaderError || err instanceof PayloadError)
      return new UserError(`the backup does not decrypt: ${err.message}`, {
        hint: "the object is corrupt, truncated or was tampered with; verify its sha256 against the manifest",
        cause: err,
      });
    return err;
  };
  return { unwrap, mapError };
}

function parsedIdentity(identity: string): X25519Identity {
  try {
    return parseX25519Identity(identity);
  } catch {
    throw invalidIdentity();
  }
}

async function checkedLibraryIdentity(identity: string): Promise<string> {
  try {
    await checkLibraryIdentity(identity);
    return identity;
  } catch {
    throw invalidIdentity();
  }
}

const invalidIdentity = () =>
  new UserError("an age identity is not valid (bad checksum or length)", {
    hint: "identities are AGE-SECRET-KEY-1... lines as written by `age-keygen`; check the file is intact",
    exitCode: 2,
  });

function noMatchingIdentity(held: readonly string[], opts: DecryptOptions, cause: unknown): UserError {
  const hint: string[] = [];
  if (opts.expectedRecipients?.length)
    hint.push(
      `this backup was encrypted to: ${opts.expectedRecipients.map((r) => `${r} (${fingerprint(r)})`).join(", ")}`,
    );
  hint.push(
    `the identities given are for: ${held.map((r) => `${r} (${fingerprint(r)})`).join(", ") || "(none)"}`,
    "use the identity file whose public key (`age-keygen -y key.txt`) is one of the backup's recipients",
  );
  return new UserError("the age identity does not match any recipient of this backup", { hint, cause });
}

/**
 * Header and payload nonce are gathered first (they are small); once both are in, the file key is unwrapped
 * (possibly asynchronously, by the library) and the rest streams through a PayloadOpener.
 */
class OpenStream extends Transform {
  private head: Buffer | null = null;
  private opener: PayloadOpener | null = null;
  private readonly unwrap: Unwrap;
  private readonly mapError: (err: unknown) => Promise<unknown>;

  constructor(unwrap: OpenStream["unwrap"], mapError: OpenStream["mapError"]) {
    super();
    this.unwrap = unwrap;
    this.mapError = mapError;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.opener) this.feed(chunk, callback);
    else this.gather(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.opener) {
      this.fail(this.truncated(), callback);
      return;
    }
    try {
      const out = this.opener.end();
      this.opener.wipe();
      for (const plain of out) this.push(plain);
      callback();
    } catch (err) {
      this.fail(err, callback);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.opener?.wipe();
    callback(err);
  }

  /** Before the payload: buffer until header and nonce are complete, then unwrap the file key. */
  private gather(chunk: Buffer, callback: TransformCallback): void {
    const head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    let header: ParsedHeader | null;
    try {
      header = parseHeader(head);
    } catch (err) {
      this.fail(err, callback);
      return;
    }
    if (!header || head.length < header.size + NONCE) {
      this.head = head;
      callback();
      return;
    }
    this.head = null;
    const size = header.size;
    this.start(header, head).then(
      () => this.feed(head.subarray(size + NONCE), callback),
      (err: unknown) => this.fail(err, callback),
    );
  }

  private async start(header: ParsedHeader, head: Buffer): Promise<void> {
    const fileKey = await this.unwrap(header, head.subarray(0, header.size));
    try {
      if (!verifyHeaderMac(header, fileKey)) throw new HeaderError("invalid header MAC");
      this.opener = new PayloadOpener(
        payloadKey(fileKey, head.subarray(header.size, header.size + NONCE)).key,
      );
    } finally {
      fileKey.fill(0);
    }
  }

  private feed(data: Buffer, callback: TransformCallback): void {
    try {
      for (const plain of (this.opener as PayloadOpener).write(data)) this.push(plain);
      callback();
    } catch (err) {
      this.fail(err, callback);
    }
  }

  /** Why input that ended before the payload is refused. */
  private truncated(): Error {
    if (!this.head?.length) return new HeaderError("the file is empty");
    try {
      return new HeaderError(
        parseHeader(this.head) ? "truncated: the payload is missing" : "truncated header",
      );
    } catch (err) {
      return err as Error;
    }
  }

  private fail(err: unknown, callback: TransformCallback): void {
    this.opener?.wipe();
    void this.mapError(err).then((mapped) =>
      callback(mapped instanceof Error ? mapped : new Error(String(mapped))),
    );
  }
}
