import { createReadStream } from "node:fs";
import type { Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { UserError } from "../../../posture/errors.ts";
import type { SeekableAgeFile } from "../age/seekable.ts";
import { decryptStream } from "../age.ts";
import type { SeekBlock } from "../backup/seek-index.ts";
import { decompressStages } from "../compress.ts";
import { GarbagePacer } from "../gc-pacer.ts";
import type { Manifest } from "../manifest.ts";
import type { ArchiveFile } from "./archive-file.ts";
import { ARCHIVE_START, decodeRange, SeekRangeError } from "./seek-decode.ts";

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
  await pipeline([
    createReadStream(encryptedPath, { highWaterMark: 1 << 20 }),
    await decryptStream(identities, {
      expectedRecipients: manifest.encryption.recipients.map((r) => r.recipient),
    }),
    ...decompressStages(manifest.compression.algorithm),
    sink,
  ]).catch((err: unknown) => {
    throw decompressionFailure(err, manifest) ?? err;
  });
}

/**
 * As decodeInto, but without the data block `skip` (its own lane decodes it: decodeRange): the archive up
 * to the block goes into `file`, which then leaves a hole for it, and decoding resumes at the frame after.
 */
export async function decodeAround(
  age: SeekableAgeFile,
  manifest: Manifest,
  file: ArchiveFile,
  sink: Writable,
  skip: SeekBlock,
): Promise<void> {
  sink.on("error", () => {}); // seen through the writes' callbacks and sink.errored
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve, reject) => sink.write(chunk, (e) => (e ? reject(e) : resolve())));
  let resumed = false;
  try {
    for await (const chunk of decodeRange(age, ARCHIVE_START, 0, skip.at)) await write(chunk);
    await file.skip(skip.dumpId, skip.at, skip.end);
    if (file.scanError) throw seekMismatch(manifest, file.scanError.message, file.scanError);
    resumed = true;
    for await (const chunk of decodeRange(age, skip.resume, skip.end, null)) await write(chunk);
    sink.end();
    await finished(sink);
    if (file.written !== manifest.rawBytes)
      throw seekMismatch(
        manifest,
        `decoding resumed at the wrong frame: ${file.written} archive bytes, not ${manifest.rawBytes}`,
      );
  } catch (err) {
    // A sink destroyed by a failed restore fails the next write with "destroyed": the restore's error is the one.
    const cause = sink.errored ?? err;
    sink.destroy();
    if (cause instanceof UserError) throw cause;
    throw (resumed ? seekFailure(cause, manifest) : decompressionFailure(cause, manifest)) ?? cause;
  }
}

/**
 * Output chunk for a block decoded ahead: it is read at its COPY's pace, so its buffers are kept short-lived
 * (compress.ts, DecompressBuffers). On a 1 GB restore with V8's default young generation: 1 MiB, 25-49
 * mark-compacts; 256 KiB, 3. Under bin/rampart's 1 MB young generation storms remain (BACKUP.md).
 */
const AHEAD_CHUNK = 256 * 1024;

/** The bytes of data block `b` alone, decoded from its own frame (the lane that loads it reads them). */
export async function* decodeBlock(
  age: SeekableAgeFile,
  manifest: Manifest,
  b: SeekBlock,
): AsyncGenerator<Buffer> {
  // The decompressor's output is a fresh buffer per chunk: collected as they go, as ArchiveFile does for the
  // rest of the archive (without it, a 1 GB restore ran 13-16 mark-compacts instead of 3).
  const pacer = new GarbagePacer();
  try {
    for await (const chunk of decodeRange(age, b.from, b.at, b.end, AHEAD_CHUNK)) {
      yield chunk;
      pacer.add(chunk.length);
    }
  } catch (err) {
    throw seekFailure(err, manifest) ?? err;
  }
}

/**
 * Decoding from a frame the seek index names failed: the index (written by the backup, outside the
 * encryption) more likely than the archive, whose sha256 and age chunks checked out.
 */
function seekFailure(err: unknown, manifest: Manifest): UserError | undefined {
  if (err instanceof UserError) return err;
  const fromIndex = err instanceof SeekRangeError || decompressionFailure(err, manifest);
  return fromIndex ? seekMismatch(manifest, (err as Error).message, err) : undefined;
}

function seekMismatch(manifest: Manifest, what: string, cause?: unknown): UserError {
  return new UserError(`backup ${manifest.id}: the seek index does not match its archive (${what})`, {
    hint: [
      "`rampart restore --to-file` decodes in archive order without the index; pg_restore the file (BACKUP.md)",
      "if that fails too, the backup itself is unusable: restore the previous one (`rampart backups list`)",
    ],
    cause,
  });
}

/**
 * The decompressor refused the plaintext. Its sha256 and every age chunk authenticated, so the object is
 * exactly what the backup stored: that backup is unusable, and the responder needs another one, now.
 */
export function decompressionFailure(err: unknown, manifest: Manifest): UserError | undefined {
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
