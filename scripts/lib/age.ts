import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { Duplex } from "node:stream";
import {
  identityToRecipient as ageIdentityToRecipient,
  Decrypter,
  Encrypter,
  generateX25519Identity,
} from "age-encryption";
import { UserError } from "../../posture/errors.ts";
import { registerSecret } from "./redact.ts";

/**
 * age (https://age-encryption.org/v1) encryption as Node streams. Backups are encrypted to recipients
 * (public keys, safe to hold in a backup job); only restore and drill hold an identity (private key).
 * The output is the standard binary age format: the stock `age -d -i key.txt` decrypts it.
 */

/**
 * Stable short name for a recipient, for manifests, logs and hints: the first 16 hex characters
 * (64 bits) of SHA-256 over the recipient string exactly as written (`age1...`). It identifies, it does
 * not authenticate: compare full recipients where it matters.
 */
export function recipientFingerprint(recipient: string): string {
  return createHash("sha256").update(recipient, "utf8").digest("hex").slice(0, 16);
}

/**
 * Identities from an age identity file: one `AGE-SECRET-KEY-1...` per line, `#` comments and blank
 * lines ignored. Every identity is registered for redaction before it is returned. Error messages name
 * the line number only, never its content (it may be a mangled key).
 */
export function parseIdentities(text: string, source = "identity file"): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    registerSecret(line);
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(line)) {
      throw new UserError(`${source}: line ${index + 1} is not an age identity`, {
        hint: "expected AGE-SECRET-KEY-1... lines (as written by `age-keygen`), # comments and blank lines",
        exitCode: 2,
      });
    }
    out.push(line);
  });
  if (out.length === 0) {
    throw new UserError(`${source}: no age identity found`, {
      hint: "create one with `age-keygen -o key.txt` (or `rampart` key tooling) and keep it offline",
      exitCode: 2,
    });
  }
  return out;
}

/** Reads an identity file, refusing one that group or others can read (a private key must not be). */
export async function readIdentityFile(path: string): Promise<string[]> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read age identity file ${path}: ${err.code ?? err.message}`, {
      hint: "pass the path of the file written by `age-keygen -o`",
      exitCode: 2,
    });
  });
  if ((info.mode & 0o077) !== 0) {
    throw new UserError(
      `age identity file ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)})`,
      { hint: `chmod 600 ${path}`, exitCode: 2 },
    );
  }
  return parseIdentities(await readFile(path, "utf8"), path);
}

export async function identityToRecipient(identity: string): Promise<string> {
  registerSecret(identity);
  return ageIdentityToRecipient(identity);
}

/** A new X25519 identity (`AGE-SECRET-KEY-1...`), registered for redaction. X25519 so age 1.1 reads it. */
export async function generateIdentity(): Promise<string> {
  const identity = await generateX25519Identity();
  registerSecret(identity);
  return identity;
}

/**
 * Encrypting Duplex: write plaintext, read the age file. Memory stays bounded (64 KiB age chunks plus
 * stream buffers), whatever the size of the input.
 */
export async function encryptStream(recipients: readonly string[]): Promise<Duplex> {
  if (recipients.length === 0)
    throw new UserError("no age recipients configured", {
      hint: "set backups.recipients in the posture (age1... public keys)",
      exitCode: 2,
    });
  const encrypter = new Encrypter();
  for (const r of recipients) {
    try {
      encrypter.addRecipient(r);
    } catch {
      throw new UserError(`not a valid age recipient: ${r}`, {
        hint: "recipients are age public keys starting with age1 (`age-keygen -y key.txt` prints one)",
        exitCode: 2,
      });
    }
  }
  return webTransformDuplex(
    (input) => encrypter.encrypt(input),
    (err) => err,
  );
}

export type DecryptOptions = {
  /** Recipients the backup was encrypted to (from its manifest), named in the hint when no identity fits. */
  expectedRecipients?: readonly string[];
};

/**
 * Decrypting Duplex: write the age file, read plaintext. Fails with a UserError when no identity matches
 * the file, or when the ciphertext does not authenticate (corrupt or tampered object).
 */
export async function decryptStream(
  identities: readonly string[],
  opts: DecryptOptions = {},
): Promise<Duplex> {
  const decrypter = new Decrypter();
  for (const identity of identities) {
    registerSecret(identity);
    decrypter.addIdentity(identity);
  }
  // Fingerprints of what we hold, for the hint when none matches (computed once, only awaited on failure).
  const held = Promise.all(identities.map((i) => ageIdentityToRecipient(i))).catch(() => []);
  const mapError = async (err: unknown): Promise<unknown> => {
    const message = err instanceof Error ? err.message : String(err);
    if (/no identity matched/.test(message)) return noMatchingIdentity(await held, opts, err);
    if (/invalid header HMAC|invalid tag|final chunk|ciphertext|stream ended|header/i.test(message))
      return new UserError(`the backup does not decrypt: ${message}`, {
        hint: "the object is corrupt, truncated or was tampered with; verify its sha256 against the manifest",
        cause: err,
      });
    return err;
  };
  return webTransformDuplex((input) => decrypter.decrypt(input), mapError);
}

function noMatchingIdentity(held: readonly string[], opts: DecryptOptions, cause: unknown): UserError {
  const hint: string[] = [];
  if (opts.expectedRecipients?.length)
    hint.push(
      `this backup was encrypted to: ${opts.expectedRecipients.map((r) => `${r} (${recipientFingerprint(r)})`).join(", ")}`,
    );
  hint.push(
    `the identities given are for: ${held.map((r) => `${r} (${recipientFingerprint(r)})`).join(", ") || "(none)"}`,
    "use the identity file whose public key (`age-keygen -y key.txt`) is one of the backup's recipients",
  );
  return new UserError("the age identity does not match any recipient of this backup", { hint, cause });
}

/**
 * Wraps a web-stream transformation (age-encryption's API) as a Node Duplex. The web side is started at
 * once, so a decrypter can read the header from what we are written; `write` waits for the web stream
 * to accept each chunk, which carries backpressure through.
 */
function webTransformDuplex(
  start: (input: ReadableStream<Uint8Array>) => Promise<ReadableStream<Uint8Array>>,
  mapError: (err: unknown) => unknown | Promise<unknown>,
): Duplex {
  const asError = async (err: unknown): Promise<Error> => {
    const mapped = await mapError(err);
    return mapped instanceof Error ? mapped : new Error(String(mapped));
  };
  const inbound = new TransformStream<Uint8Array, Uint8Array>();
  const writer = inbound.writable.getWriter();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const started = start(inbound.readable).then((out) => {
    reader = out.getReader();
    return reader;
  });
  // Keep an early failure (e.g. no matching identity) from being unhandled before the first read.
  started.catch(() => {});
  return new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      writer.ready
        .then(() => writer.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
        .then(
          () => callback(),
          (err: unknown) => void asError(err).then(callback),
        );
    },
    final(callback) {
      writer.close().then(
        () => callback(),
        (err: unknown) => void asError(err).then(callback),
      );
    },
    read() {
      started
        .then((r) => r.read())
        .then(
          ({ done, value }) => {
            if (done) this.push(null);
            else this.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
          },
          (err: unknown) => void asError(err).then((e) => this.destroy(e)),
        );
    },
    destroy(err, callback) {
      writer.abort(err ?? undefined).catch(() => {});
      reader?.cancel(err ?? undefined).catch(() => {});
      callback(err);
    },
  });
}
