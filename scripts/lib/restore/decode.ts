import { createReadStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../../posture/errors.ts";
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
  ).catch((err: unknown) => {
    throw decompressionFailure(err, manifest) ?? err;
  });
}

/**
 * The decompressor refused the plaintext. Its sha256 and every age chunk authenticated, so the object is
 * exactly what the backup stored: that backup is unusable, and the responder needs another one, now.
 */
function decompressionFailure(err: unknown, manifest: Manifest): UserError | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code ?? "";
  if (!/^(ZSTD_error_|Z_DATA_ERROR|Z_BUF_ERROR)/.test(code)) return undefined;
  return new UserError(
    `backup ${manifest.id} does not decompress (${manifest.compression.algorithm}: ${(err as Error).message})`,
    {
      hint: [
        "its sha256 and encryption checked out, so it was stored this way: restore the previous backup (`rampart backups list`)",
        "and report this backup id: a backup that does not decompress is a bug",
      ],
      cause: err,
    },
  );
}
