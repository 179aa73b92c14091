// Hand-built age files for the refusal tests: the real header code, with payload chunks sealed as the
// test says (any counter, any last-chunk flag), so malformed-but-authentic files can be made.
import { createCipheriv, randomBytes } from "node:crypto";
import { encodeHeader, type Stanza } from "../../../../scripts/lib/age/header.ts";
import { parseX25519Recipient, wrapX25519 } from "../../../../scripts/lib/age/keys.ts";
import { payloadKey } from "../../../../scripts/lib/age/payload.ts";

export type CraftChunk = { plain: Buffer; last: boolean };

/** An age file to `recipient` with the given chunks; `extra` stanzas go before ours (age reads in order). */
export function craftFile(recipient: string, chunks: CraftChunk[], extra: Stanza[] = []): Buffer {
  const fileKey = randomBytes(16);
  const pub = parseX25519Recipient(recipient);
  if (!pub) throw new Error("test recipient is not X25519");
  const header = encodeHeader([...extra, wrapX25519(fileKey, pub)], fileKey);
  const { nonce, key } = payloadKey(fileKey);
  const sealed = chunks.map(({ plain, last }, i) => {
    const iv = Buffer.alloc(12);
    iv.writeUIntBE(i, 5, 6);
    iv[11] = last ? 1 : 0;
    const cipher = createCipheriv("chacha20-poly1305", key, iv, { authTagLength: 16 });
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  });
  return Buffer.concat([header, nonce, ...sealed]);
}

/** Length of the header plus payload nonce of an age file (the MAC line ends the header). */
export function payloadStart(file: Buffer): number {
  return file.indexOf("\n", file.indexOf("\n--- ") + 1) + 1 + 16;
}
