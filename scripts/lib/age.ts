import { readFile, stat } from "node:fs/promises";
import { UserError } from "../../posture/errors.ts";
import { libraryIdentityToRecipient } from "./age/fallback.ts";
import { generateX25519Identity, isX25519Identity, x25519IdentityToRecipient } from "./age/keys.ts";
import { registerSecret } from "./redact.ts";

/**
 * age (https://age-encryption.org/v1) encryption as Node streams. Backups are encrypted to recipients
 * (public keys, safe to hold in a backup job); only restore and drill hold an identity (private key).
 * The output is the standard binary age format: the stock `age -d -i key.txt` decrypts it, and we decrypt
 * what `age -r/-R` writes. X25519 runs natively on node:crypto (scripts/lib/age/); other key types
 * (post-quantum) fall back to the age-encryption library for the header.
 */
export { type DecryptOptions, decryptStream } from "./age/decrypt.ts";
export { encryptStream } from "./age/encrypt.ts";
export { recipientFingerprint } from "./age/fingerprint.ts";

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
  return isX25519Identity(identity)
    ? x25519IdentityToRecipient(identity)
    : libraryIdentityToRecipient(identity);
}

/** A new X25519 identity (`AGE-SECRET-KEY-1...`), registered for redaction. X25519 so age 1.1 reads it. */
export async function generateIdentity(): Promise<string> {
  const identity = generateX25519Identity();
  registerSecret(identity);
  return identity;
}
