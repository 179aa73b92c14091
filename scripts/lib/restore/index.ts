import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../posture/errors.ts";
import { SeekableAgeFile } from "../age/seekable.ts";
import { type SeekBlock, seekBlockProblem } from "../backup/seek-index.ts";
import type { Logger } from "../log.ts";
import type { Manifest } from "../manifest.ts";
import { formatBytes } from "../output.ts";
import { type ConnInfo, describeConn } from "../pg/conninfo.ts";
import { redactedMessage } from "../redact.ts";
import type { Store } from "../store/index.ts";
import type { AheadBlock } from "./ahead-block.ts";
import { ArchiveFile } from "./archive-file.ts";
import { decodeAround, decodeBlock, decodeInto } from "./decode.ts";
import { fetchVerified, readManifest, resolveBackupId } from "./fetch.ts";
import { type PgRestoreOptions, runPgRestore } from "./pg-restore.ts";
import { restoreProgressLine } from "./progress.ts";
import { SectionedRestore } from "./sectioned.ts";
import {
  countPresentTables,
  databaseUrlSource,
  inspectTarget,
  isEmpty,
  looksLikeSource,
  type SourceHint,
  type TargetIdentity,
} from "./target.ts";

export type RestoreRequest = PgRestoreOptions & {
  store: Store;
  /** Backup id or "latest". */
  backup: string;
  identities: readonly string[];
  /** Restore into this database ... */
  target?: ConnInfo;
  /** ... or write the decrypted, decompressed pg_dump archive here instead. */
  toFile?: string;
  /** Restore even though the target looks like the backup's own source database. */
  forceSource?: boolean;
  log: Logger;
  /** How often the progress line (a terminal only) is redrawn while decoding and restoring. @default 500 */
  progressMs?: number;
};

export type RestoreResult = {
  manifest: Manifest;
  target: TargetIdentity | null;
  toFile: string | null;
  dumpBytes: number;
  /** Stage times; into a database, decode and restore overlap (pg_restore starts once the TOC is decoded). */
  ms: { fetch: number; decode: number; restore: number; total: number };
};

/**
 * Fetch → verify SHA-256 → decrypt → decompress → pg_restore. The target is checked while the object
 * downloads, and nothing is decrypted before both passed; the object is verified before age sees it.
 * pg_restore starts as soon as the archive's TOC is decoded, and loads each table while it decodes.
 */
export async function restoreBackup(req: RestoreRequest): Promise<RestoreResult> {
  if (!req.target === !req.toFile) throw new Error("restoreBackup needs exactly one of target and toFile");
  const t0 = performance.now();
  const id = await resolveBackupId(req.store, req.backup);
  const manifest = await readManifest(req.store, id);
  const log = req.log.with({ backup: id });

  const work = await mkdtemp(join(tmpdir(), "rampart-restore-"));
  let sectioned: SectionedRestore | null = null;
  let age: SeekableAgeFile | null = null;
  let ticker: NodeJS.Timeout | undefined;
  const stopProgress = () => {
    clearInterval(ticker);
    log.progress(""); // clears the line (a terminal only): what is printed next starts on a clean one
  };
  try {
    // The target is checked while the object downloads: a refusal stops the download as soon as the
    // checks end (seconds, not the transfer's hour), and a target that passes costs the restore no wait.
    const stop = new AbortController();
    const checking = req.target
      ? checkTarget(req.target, manifest, req).catch((e: unknown) => {
          stop.abort(e);
          throw e;
        })
      : Promise.resolve(null);
    log.info(`fetching ${formatBytes(manifest.storedBytes)} from ${req.store.url}`);
    const fetching = fetchVerified(req.store, manifest, work, {
      signal: stop.signal,
      onProgress: (n) => log.progress(`fetching ${formatBytes(n)} / ${formatBytes(manifest.storedBytes)}`),
      onResume: ({ bytes, attempt, error, delayMs }) =>
        log.warn(
          `download interrupted after ${formatBytes(bytes)} of ${formatBytes(manifest.storedBytes)} (${redactedMessage(error)}); resuming from there in ${delayMs} ms (try ${attempt + 1})`,
        ),
    });
    const [target, encrypted] = bothOrFirstFailure(
      await Promise.allSettled([checking, fetching]),
      (refused) => log.warn(`also, the target check failed: ${redactedMessage(refused)}`),
    );
    const t1 = performance.now();
    log.info("sha256 verified; decrypting");
    const file = new ArchiveFile(req.toFile ?? join(work, "dump.pgc"));
    // Restore while decoding (sectioned.ts); --clean needs the whole archive's drop order: decode first.
    const into = req.clean ? undefined : req.target;
    // The largest table decoded by its own lane from the start, when the backup says where it lies.
    const ahead = into ? aheadBlock(manifest, log) : undefined;
    let aheadLane: AheadBlock | undefined;
    let aheadDecoded = 0;
    if (ahead) {
      const opened = await SeekableAgeFile.open(encrypted, req.identities, {
        expectedRecipients: recipients(manifest),
      });
      age = opened;
      const decoded = () => decodeBlock(opened, manifest, ahead);
      aheadLane = { block: ahead, bytes: () => counted(decoded(), (n) => (aheadDecoded += n)) };
      log.info(
        `decoding the largest table's ${formatBytes(ahead.end - ahead.at)} ahead of the rest (seek index)`,
      );
    }
    if (into) {
      const where = describeConn(into);
      const opts = { ...req, tables: manifest.tables, ahead: aheadLane };
      sectioned = new SectionedRestore(file, work, into, opts, log);
      file.once("toc", () => log.info(`pg_restore into ${where} (started while decoding)`));
    }
    const decodeStart = performance.now();
    ticker = setInterval(() => {
      log.progress(
        restoreProgressLine({
          decoded: file.written - file.skipped + aheadDecoded,
          total: manifest.rawBytes,
          secs: (performance.now() - decodeStart) / 1000,
          tables: sectioned?.started ? sectioned.progress : undefined,
        }),
      );
    }, req.progressMs ?? 500);
    ticker.unref();
    const sink = file.writable();
    sectioned?.done.catch((e) => sink.destroy(e)); // a failed pg_restore stops decoding too
    try {
      if (age && ahead) await decodeAround(age, manifest, file, sink, ahead);
      else await decodeInto(encrypted, manifest, req.identities, sink);
    } catch (e) {
      sectioned?.fail(e);
      throw e;
    }
    await rm(encrypted);
    const t2 = performance.now();
    log.debug(
      file.scanError
        ? `archive not followed (${file.scanError.message}): pg_restore of the whole file`
        : "archive decoded; data offsets written",
    );
    let restoreStart = t2;
    if (req.target) {
      if (ahead && !sectioned?.started)
        throw new UserError(
          "the decoded archive could not be followed, and its largest table was decoded apart",
          {
            hint:
              file.scanError?.message ??
              "restore with `rampart restore --to-file` and pg_restore, or with stock tools (BACKUP.md)",
          },
        );
      if (sectioned?.started) {
        await sectioned.done;
        restoreStart = sectioned.startedAt;
        stopProgress();
        if (sectioned.warnings) process.stderr.write(sectioned.warnings);
      } else {
        stopProgress(); // one pg_restore of the whole file: nothing to sample but its exit
        log.info(`pg_restore into ${describeConn(req.target)}`);
        await runPgRestore(file.path, req.target, req);
      }
    }
    const t3 = performance.now();
    return {
      manifest,
      target,
      toFile: req.toFile ?? null,
      dumpBytes: file.written,
      ms: { fetch: t1 - t0, decode: t2 - t1, restore: t3 - restoreStart, total: t3 - t0 },
    };
  } finally {
    stopProgress(); // also the download's line, when a refused target ended it
    await sectioned?.close();
    await age?.close().catch(() => {}); // never hides the restore's own error
    await rm(work, { recursive: true, force: true });
  }
}

async function checkTarget(
  target: ConnInfo,
  manifest: Manifest,
  req: RestoreRequest,
): Promise<TargetIdentity> {
  const identity = await inspectTarget(target);
  const where = describeConn(target);
  if (!isEmpty(identity) && !req.clean)
    throw new UserError(`refusing to restore into ${where}: it is not empty`, {
      hint: [
        `it has ${identity.relations} relations and extensions [${identity.extensions.join(", ")}]`,
        "restore into a new empty database (createdb), or pass --clean to drop and recreate the backup's objects",
      ],
    });
  const sources: SourceHint[] = [];
  const declared = manifestSource(manifest);
  if (declared) sources.push(declared);
  const fromEnv = await databaseUrlSource();
  if (fromEnv) sources.push(fromEnv);
  const reason = looksLikeSource(identity, manifest, sources, await countPresentTables(target, manifest));
  if (reason && !req.forceSource)
    throw new UserError(`refusing to restore into ${where}: it looks like the backup's own source database`, {
      hint: [
        reason,
        "restore elsewhere and compare, or pass --force-source if overwriting the source is intended",
      ],
    });
  return identity;
}

/**
 * The backup's largest data block, when its seek index says where it lies (zstd backups only). An entry
 * that cannot be right is passed over with a warning: the restore then decodes in archive order, as for
 * backups made before the index existed.
 */
function aheadBlock(manifest: Manifest, log: Logger): SeekBlock | undefined {
  const b = manifest.compression.algorithm === "zstd" ? manifest.seek?.blocks[0] : undefined;
  const problem = b && seekBlockProblem(b, manifest.rawBytes);
  if (problem) log.warn(`not using the backup's seek index (${problem}): decoding in archive order`);
  return problem ? undefined : b;
}

/**
 * The target check's and the download's results, or the error to report. The download's own failure wins
 * (an integrity failure is a security incident) and the target's is passed to `alsoRefused`, so it is
 * not news on the next attempt; a download that failed because the refusal stopped it reports the refusal.
 */
export function bothOrFirstFailure<T, F>(
  [checked, fetched]: [PromiseSettledResult<T>, PromiseSettledResult<F>],
  alsoRefused: (reason: unknown) => void,
): [T, F] {
  const refused = checked.status === "rejected" ? checked.reason : undefined;
  if (fetched.status === "rejected" && fetched.reason !== refused) {
    if (checked.status === "rejected") alsoRefused(refused);
    throw fetched.reason;
  }
  if (checked.status === "rejected") throw checked.reason;
  if (fetched.status === "rejected") throw fetched.reason; // unreachable: same reason as the refusal
  return [checked.value, fetched.value];
}

/** `bytes` as they pass, each chunk's size given to `add` (the progress line's count of decoded bytes). */
async function* counted(bytes: AsyncIterable<Buffer>, add: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of bytes) {
    add(chunk.length);
    yield chunk;
  }
}

const recipients = (manifest: Manifest) => manifest.encryption.recipients.map((r) => r.recipient);

/** The manifest's `source` block, if the backup wrote one (older backups do not). */
function manifestSource(manifest: Manifest): SourceHint | null {
  return manifest.source
    ? { systemIdentifier: manifest.source.systemIdentifier, database: manifest.source.database }
    : null;
}
