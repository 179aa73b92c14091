import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { decryptStream } from "../age.ts";
import { decompressStream } from "../compress.ts";
import type { Manifest } from "../manifest.ts";

/**
 * Verified object → plain pg_dump archive on disk: age-decrypt, then decompress, streamed. A file, not a
 * pipe, because parallel pg_restore (--jobs) needs a seekable archive. Only call after fetchVerified.
 */
export async function decodeToFile(
  encryptedPath: string,
  manifest: Manifest,
  identities: readonly string[],
  outPath: string,
): Promise<number> {
  const out = createWriteStream(outPath, { mode: 0o600 });
  await pipeline(
    createReadStream(encryptedPath),
    await decryptStream(identities, {
      expectedRecipients: manifest.encryption.recipients.map((r) => r.recipient),
    }),
    decompressStream(manifest.compression.algorithm),
    out,
  );
  return out.bytesWritten;
}
