import { createReadStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decryptStream } from "../age.ts";
import { decompressStream } from "../compress.ts";
import type { Manifest } from "../manifest.ts";

/**
 * Verified object → plain pg_dump archive: age-decrypt, then decompress, streamed into `sink` (an
 * ArchiveFile's writable: parallel pg_restore needs a seekable archive). Only call after fetchVerified.
 */
export async function decodeInto(
  encryptedPath: string,
  manifest: Manifest,
  identities: readonly string[],
  sink: Writable,
): Promise<void> {
  await pipeline(
    createReadStream(encryptedPath, { highWaterMark: 1 << 20 }),
    await decryptStream(identities, {
      expectedRecipients: manifest.encryption.recipients.map((r) => r.recipient),
    }),
    decompressStream(manifest.compression.algorithm),
    sink,
  );
}
