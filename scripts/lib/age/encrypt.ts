import { randomFillSync } from "node:crypto";
import type { Duplex } from "node:stream";
import { UserError } from "../../../posture/errors.ts";
import { checkLibraryRecipient, libraryStanzas } from "./fallback.ts";
import { encodeHeader, type Stanza } from "./header.ts";
import { parseX25519Recipient, wrapX25519 } from "./keys.ts";
import { payloadKey, SealStream } from "./payload.ts";

/**
 * Encrypting Duplex: write plaintext, read the age file. Memory stays bounded (one 64 KiB chunk held back
 * plus a ~256 KiB output batch), whatever the size of the input. X25519 recipients are wrapped natively;
 * other types (post-quantum) by the age-encryption library, which then also draws the file key.
 */
export async function encryptStream(recipients: readonly string[]): Promise<Duplex> {
  if (recipients.length === 0)
    throw new UserError("no age recipients configured", {
      hint: "set backups.recipients in the posture (age1... public keys)",
      exitCode: 2,
    });
  const native: Buffer[] = [];
  const library: string[] = [];
  for (const r of recipients) {
    const publicKey = parseX25519Recipient(r);
    if (publicKey) native.push(publicKey);
    else library.push(await checkedRecipient(r));
  }
  const { fileKey, stanzas } =
    library.length > 0
      ? await libraryStanzas(library)
      : { fileKey: randomFillSync(Buffer.alloc(16)), stanzas: [] as Stanza[] };
  try {
    const header = encodeHeader([...native.map((pub) => wrapX25519(fileKey, pub)), ...stanzas], fileKey);
    const { nonce, key } = payloadKey(fileKey);
    return new SealStream(Buffer.concat([header, nonce]), key);
  } finally {
    fileKey.fill(0);
  }
}

async function checkedRecipient(recipient: string): Promise<string> {
  try {
    await checkLibraryRecipient(recipient);
    return recipient;
  } catch {
    throw new UserError(`not a valid age recipient: ${recipient}`, {
      hint: "recipients are age public keys starting with age1 (`age-keygen -y key.txt` prints one)",
      exitCode: 2,
    });
  }
}
