import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { UserError } from "../../../posture/errors.ts";
import { isManifestKey, type Manifest, manifestKey, manifestSchema } from "../manifest.ts";
import type { Store } from "../store/index.ts";
import { backoffMs, DEFAULT_RETRY, isRefusal, sleep } from "../store/retry.ts";
import { writeAt } from "../write-at.ts";

/** Every backup with a manifest, oldest first (ids sort by time). A dump without a manifest does not exist. */
export async function listBackupIds(store: Store): Promise<string[]> {
  return (await store.list())
    .filter((o) => isManifestKey(o.key))
    .map((o) => o.key.slice(0, -"/manifest.json".length))
    .sort();
}

export async function readManifest(store: Store, id: string): Promise<Manifest> {
  // Both requests at once: one round trip to the store instead of two. The read's own error (a missing
  // object, in the store's words) only matters when the object exists.
  const reading = store.getBytes(manifestKey(id));
  reading.catch(() => {}); // settled below either way: never an unhandled rejection
  if (!(await store.exists(manifestKey(id))))
    throw new UserError(`no backup ${id} in ${store.url}`, { hint: "list backups: rampart backups list" });
  const raw: unknown = JSON.parse((await reading).toString("utf8"));
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new UserError(`the manifest of backup ${id} is invalid: ${parsed.error.message}`, {
      hint: `inspect ${store.url}/${manifestKey(id)}; restore with stock tools (BACKUP.md) if you must`,
    });
  if (parsed.data.id !== id)
    throw new UserError(`manifest ${manifestKey(id)} names another backup: ${parsed.data.id}`);
  return parsed.data;
}

/** `latest` → the newest backup id in the store. */
export async function resolveBackupId(store: Store, spec: string): Promise<string> {
  if (spec !== "latest") return spec;
  const ids = await listBackupIds(store);
  const last = ids.at(-1);
  if (!last) throw new UserError(`no backups in ${store.url}`, { hint: "run rampart backup first" });
  return last;
}

/** Where an interrupted download goes on from (for the log). */
export type ResumeInfo = { bytes: number; attempt: number; error: unknown; delayMs: number };

export type DownloadOptions = {
  /** Called with the bytes on disk so far. */
  onProgress?: (bytes: number) => void;
  /** Called before each resumed read. */
  onResume?: (info: ResumeInfo) => void;
  /** A read that brings no byte for this long is cut and resumed (a connection silently dropped). @default 60 s */
  idleMs?: number;
  /**
   * Aborting stops the download (no further read or retry) and fails it with the signal's reason, unless
   * every byte was already in: the caller decides then.
   */
  signal?: AbortSignal;
};

/**
 * Download the stored object to `dir` while hashing it, and refuse it unless size and SHA-256 match the
 * manifest. Nothing is decrypted before this passes: a tampered or truncated object never reaches age.
 * A dropped connection costs a retry from the last byte written, not the whole download.
 */
export async function fetchVerified(
  store: Store,
  manifest: Manifest,
  dir: string,
  opts: DownloadOptions = {},
): Promise<string> {
  const path = join(dir, "dump.pgc.zst.age");
  const { bytes, sha256 } = await downloadResuming(store, manifest, path, opts);
  if (bytes !== manifest.storedBytes || sha256 !== manifest.sha256)
    throw new UserError(
      `backup ${manifest.id} failed its integrity check: refusing to decrypt or restore it`,
      {
        hint: [
          `stored object ${store.url}/${manifest.object}: ${bytes} bytes, sha256 ${sha256}`,
          `manifest expects: ${manifest.storedBytes} bytes, sha256 ${manifest.sha256}`,
          "the object was altered or truncated; restore an older backup, and treat this as a security incident",
        ],
      },
    );
  return path;
}

/** Tries in a row that bring no new byte before a download gives up (backoff as the stores': DEFAULT_RETRY). */
const STALLED_TRIES = 6;
/** Bytes gathered before one write to the file: one write per network read cost ~4,000 writes per 64 MiB. */
const WRITE_BYTES = 1 << 20;

/** Thrown by the file side: local trouble (a full disk) that no retry of the download cures. */
class LocalWriteError extends Error {}

/**
 * The object into `path`, resuming with a ranged read from the last byte on disk when the connection
 * drops (the store retries failed requests itself; this covers a body cut off in the middle). Only bytes
 * that reached the file are hashed and counted, so a resumed download hashes exactly what is on disk.
 */
async function downloadResuming(
  store: Store,
  manifest: Manifest,
  path: string,
  { onProgress, onResume, idleMs = 60_000, signal }: DownloadOptions,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  const fh = await open(path, "w", 0o600);
  /** Bytes on disk and hashed; `queued` more are being written. */
  let bytes = 0;
  let queued = 0;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  // One write in flight while the next MiB is read: awaiting each write stopped reading the socket, and
  // the store's sender with it. 67 MB from the local S3, 3 × 5 interleaved: medians 137–149 ms against
  // 164–184 ms awaiting each write.
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (!pendingBytes) return writing;
    const chunks = pending.splice(0);
    const n = pendingBytes;
    const at = bytes + queued;
    pendingBytes = 0;
    queued += n;
    writing = writing.then(async () => {
      await writeAt(fh, chunks, at).catch((e: unknown) => {
        throw new LocalWriteError(`cannot write ${path}: ${(e as Error).message}`, { cause: e });
      });
      for (const c of chunks) hash.update(c);
      bytes += n;
      queued -= n;
      onProgress?.(bytes);
    });
    writing.catch(() => {}); // awaited below; a failure must not be an unhandled rejection meanwhile
    return writing;
  };
  try {
    for (let stalled = 0; ; ) {
      const before = bytes;
      let cut: unknown = null;
      try {
        signal?.throwIfAborted(); // before the read: an aborted download makes no request
        const body = await untilAborted(store.get(manifest.object, { start: bytes }), signal);
        // No byte for idleMs: cut it, so the silence becomes a resumed read instead of a restore that hangs.
        const idle = () => body.destroy(new Error(`no data for ${Math.round(idleMs / 1000)} s`));
        const timer = setTimeout(idle, idleMs);
        const abort = () => body.destroy(signal?.reason);
        if (signal?.aborted) abort();
        signal?.addEventListener("abort", abort, { once: true });
        try {
          for await (const chunk of body as AsyncIterable<Buffer>) {
            timer.refresh();
            pending.push(chunk);
            pendingBytes += chunk.length;
            if (pendingBytes >= WRITE_BYTES) {
              if (queued > 0) await writing; // at most one write behind the reads
              void flush();
            }
          }
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener("abort", abort);
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof LocalWriteError || error instanceof UserError || isRefusal(error)) throw error;
        cut = error;
      }
      await flush(); // what arrived before a cut is good: keep it
      // All there, even if the read then failed (a lost final chunk, a checksum the SDK checks at the end):
      // the size and SHA-256 check decides. A body that ran long is refused there too.
      if (bytes >= manifest.storedBytes) return { bytes, sha256: hash.digest("hex") };
      // A body that ends early without an error is a cut connection too.
      cut ??= new Error(`the download ended after ${bytes} of ${manifest.storedBytes} bytes`);
      stalled = bytes > before ? 1 : stalled + 1;
      if (stalled >= STALLED_TRIES)
        throw new UserError(
          `downloading ${store.url}/${manifest.object} failed ${stalled} times in a row at byte ${bytes} of ${manifest.storedBytes}: ${cut instanceof Error ? cut.message : String(cut)}`,
          {
            hint: "check the network path to the store and its status, then run the restore again",
            cause: cut,
          },
        );
      const delayMs = backoffMs(stalled, DEFAULT_RETRY.baseMs, DEFAULT_RETRY.maxMs);
      signal?.throwIfAborted(); // no "resuming" line for a download that will not resume
      onResume?.({ bytes, attempt: stalled, error: cut, delayMs });
      await sleep(delayMs, signal);
    }
  } finally {
    await writing.catch(() => {}); // a write still running when a read failed: let it end before the close
    await fh.close();
  }
}

/**
 * The store's answer to a read, or the abort's reason as soon as it comes: a store that is slow to answer
 * (its own retries, a silent connection before the idle timer runs) must not hold up a restore that was
 * stopped. A body that arrives after the abort is destroyed, so its connection is not left open.
 */
function untilAborted(get: Promise<Readable>, signal: AbortSignal | undefined): Promise<Readable> {
  if (!signal) return get;
  return new Promise<Readable>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    get.then(
      (body) => {
        signal.removeEventListener("abort", abort);
        if (signal.aborted) body.destroy(); // arrived after the abort, which already settled this
        resolve(body);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(e);
      },
    );
  });
}
