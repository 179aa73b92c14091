import { pipeline } from "node:stream/promises";
import { UserError } from "../../../posture/errors.ts";
import type { Posture } from "../../../posture/index.ts";
import { encryptStream, recipientFingerprint } from "../age.ts";
import { BlockPool } from "../block-pool.ts";
import { compressStream, recyclesBlocks } from "../compress.ts";
import { HashTap } from "../hash.ts";
import type { Logger } from "../log.ts";
import { dumpKey, MANIFEST_VERSION, type Manifest, manifestKey, manifestSchema } from "../manifest.ts";
import { formatBytes } from "../output.ts";
import type { ConnInfo } from "../pg/conninfo.ts";
import { type RunningDump, spawnPgDump } from "../pg/dump.ts";
import { BackupSession } from "../pg/session.ts";
import { assertDumpCanReadServer, majorOf, pgDumpVersion } from "../pg/version.ts";
import { readsArchivesOf } from "../restore/archive-scan.ts";
import type { Store } from "../store/index.ts";
import { FRAME_BYTES, zstdLanes } from "../zstd-frames.ts";
import { newBackupId } from "./id.ts";
import { manifestRowCounts } from "./row-counts.ts";
import { type SeekBlock, SeekIndexer } from "./seek-index.ts";

export type BackupRunOptions = {
  posture: Posture;
  /** Who the backup is encrypted to: the posture's recipients plus rotated ones (currentRecipients). */
  recipients: readonly string[];
  conn: ConnInfo;
  store: Store;
  log: Logger;
  /** Path (or PATH name) of pg_dump. */
  pgDump: string;
  toolVersion: string;
  /** Aborting (SIGTERM, SIGINT) fails the run and aborts the upload. */
  signal?: AbortSignal;
  /** Called once the run holds the lock and really starts (the Sentry in_progress check-in). */
  onLocked?: () => void;
  now?: () => Date;
};

export type BackupResult =
  | { status: "ok"; id: string; object: string; manifestKey: string; manifest: Manifest; store: string }
  | { status: "skipped"; reason: string; database: string };

/**
 * One backup: lock → version check → snapshot → pg_dump | compress | age | sha256 → store (row counts
 * from the dump's data blocks, else SQL in the snapshot) → manifest (last). Either everything succeeds and
 * the manifest is written, or the run throws and nothing that a listing would call a backup is left behind.
 */
export async function runBackup(o: BackupRunOptions): Promise<BackupResult> {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  // Probed while we connect: the dump starts that much sooner.
  const probe = pgDumpVersion(o.pgDump);
  probe.catch(() => {}); // awaited below; an early failure must not be unhandled meanwhile
  const session = await BackupSession.connect(o.conn);
  try {
    const server = await session.server();
    const log = o.log.with({ database: server.database });
    const pgDumpVer = await probe;
    assertDumpCanReadServer(pgDumpVer, server.version, o.pgDump);
    log.info("connected", { stage: "connect", serverVersion: server.version, pgDumpVersion: pgDumpVer });

    if (!(await session.tryLock())) {
      const reason = "another backup is running";
      log.warn(`${reason} for database ${server.database}: skipping this run`, { stage: "lock" });
      return { status: "skipped", reason, database: server.database };
    }
    o.onLocked?.();
    const snapshot = await session.exportSnapshot();
    const id = newBackupId(server.database, startedAt);
    const key = dumpKey(id, o.posture.backups.compression.algorithm);
    log.info("snapshot exported", { stage: "snapshot", id, snapshotTime: snapshot.time.toISOString() });

    const stored = await streamDump(
      o,
      session,
      { snapshotId: snapshot.id, key, pgDumpVer },
      server.sizeBytes,
      log,
    );
    const manifest = manifestSchema.parse({
      version: MANIFEST_VERSION,
      id,
      stack: o.posture.source.stack,
      database: server.database,
      source: {
        systemIdentifier: server.systemIdentifier,
        database: server.database,
        host: o.conn.host ?? null,
        port: o.conn.port ?? null,
      },
      serverVersion: server.version,
      pgDumpVersion: pgDumpVer,
      snapshotTime: snapshot.time.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      object: key,
      rawBytes: stored.rawBytes,
      storedBytes: stored.storedBytes,
      sha256: stored.sha256,
      compression: { ...o.posture.backups.compression },
      encryption: {
        format: "age-v1",
        recipients: o.recipients.map((r) => ({
          recipient: r,
          fingerprint: recipientFingerprint(r),
        })),
      },
      ...(stored.seek ? { seek: { blocks: stored.seek } } : {}),
      tables: stored.tables,
      tool: { name: "rampart", version: o.toolVersion },
    } satisfies Manifest);
    try {
      await o.store.putBytes(manifestKey(id), `${JSON.stringify(manifest, null, 2)}\n`, "application/json");
    } catch (e) {
      await o.store.delete(key).catch(() => {});
      throw new UserError(`backup ${id} failed: writing the manifest: ${(e as Error).message}`, { cause: e });
    }
    log.info("backup complete", {
      stage: "manifest",
      id,
      rawBytes: manifest.rawBytes,
      storedBytes: manifest.storedBytes,
      sha256: manifest.sha256,
    });
    return { status: "ok", id, object: key, manifestKey: manifestKey(id), manifest, store: o.store.url };
  } finally {
    await session.close();
  }
}

type Stored = {
  rawBytes: number;
  storedBytes: number;
  sha256: string;
  tables: Record<string, number>;
  seek: SeekBlock[] | null;
};

/** The streaming part, with pipefail semantics: any stage failing fails (and cleans up) all. */
async function streamDump(
  o: BackupRunOptions,
  session: BackupSession,
  { snapshotId, key, pgDumpVer }: { snapshotId: string; key: string; pgDumpVer: string },
  expectedSize: number,
  log: Logger,
): Promise<Stored> {
  // Everything that can fail before pg_dump runs comes first: once it runs, its output has a consumer.
  const compression = o.posture.backups.compression;
  // pg_dump is read straight into frame-sized blocks, which zstd then compresses in place.
  const pool = new BlockPool(FRAME_BYTES);
  let encrypt: Awaited<ReturnType<typeof encryptStream>>;
  let dump: RunningDump;
  try {
    encrypt = await encryptStream(o.recipients);
    dump = await spawnPgDump(o.pgDump, o.conn, snapshotId, {
      pool,
      recycle: recyclesBlocks(compression),
      minBytes: o.posture.backups.minDumpBytes,
      // More blocks than compression lanes, or a lane would wait for a block only new input frees.
      maxOut: zstdLanes() + 2,
    });
  } catch (e) {
    throw failure([e]);
  }
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(o.signal?.reason ?? new Error("backup interrupted"));
  o.signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (o.signal?.aborted) onOuterAbort();
  const tap = new HashTap();
  // Only zstd output is in frames a restore can start decoding at.
  const index = compression.algorithm === "zstd" ? new SeekIndexer() : null;
  const errors: unknown[] = [];
  const fail = (e: unknown) => {
    errors.push(e);
    dump.kill();
    if (!abort.signal.aborted) abort.abort(e);
  };
  log.info("dump started", { stage: "dump", pid: dump.pid });

  const t0 = Date.now();
  let storedBytes = 0;
  const ticker = setInterval(() => {
    const secs = Math.max(0.001, (Date.now() - t0) / 1000);
    log.progress(
      `dumped ${formatBytes(dump.stdout.bytes)}, stored ${formatBytes(storedBytes)}, ${formatBytes(dump.stdout.bytes / secs)}/s`,
    );
  }, 500);

  let putDone = false;
  let tables: Record<string, number> = {};
  try {
    const compress = compressStream(compression, {
      pool,
      ...(index && {
        onInput: (c: Buffer) => index.input(c),
        onFrame: (n: number, z: number) => index.frame(n, z),
      }),
    });
    const piped = pipeline(dump.stdout, compress, encrypt, tap, { signal: abort.signal }).catch(fail);
    const put = o.store
      .put(key, tap, {
        expectedSize,
        contentType: "application/octet-stream",
        signal: abort.signal,
        onProgress: (n) => {
          storedBytes = n;
        },
      })
      .then((r) => {
        putDone = true;
        return r;
      }, fail);
    // The tables the manifest counts, from the snapshot. Their rows come from the archive as it streams
    // (the seek indexer follows it). Counted with SQL meanwhile, which on 2+ cores costs the server's CPU
    // and no wall time: inheritance parents (count(*) includes their children; their COPY does not), and
    // every table when nothing follows the archive (gzip, none, an archive version the scanner does not read).
    const listed = session.userTables();
    const fromDump = index !== null && readsArchivesOf(majorOf(pgDumpVer));
    const early = listed.then((all) => session.countRows(fromDump ? all.filter((t) => t.inherited) : all));
    const counted = early.catch(fail);
    await Promise.all([piped, put, counted]);
    const exit = await dump.exited;
    if (errors.length === 0 && (exit.code !== 0 || exit.signal))
      fail(new Error("pg_dump did not exit cleanly"));
    const putResult = await put;
    if (errors.length === 0 && putResult && putResult.bytes !== tap.bytes)
      fail(new Error(`store wrote ${putResult.bytes} bytes, the pipeline produced ${tap.bytes}`));
    if (errors.length === 0) {
      // Tables the dump holds no countable block for (rare) are counted now, checked (countRows).
      const rows = await manifestRowCounts(
        await listed,
        await early,
        fromDump ? (index?.tableRows() ?? null) : null,
        (missing) => session.countRows(missing),
      );
      abort.signal.throwIfAborted(); // SIGTERM while counting: no manifest
      tables = rows.counts;
      const { fromDump: n, withSql, afterDump } = rows;
      log.info("rows counted", { stage: "count", fromDump: n, withSql, afterDump });
    }
  } catch (e) {
    fail(e);
  } finally {
    clearInterval(ticker);
    o.signal?.removeEventListener("abort", onOuterAbort);
  }
  if (errors.length > 0) {
    dump.kill("SIGKILL");
    // The put completed but a later check failed: remove the object so nothing half-verified remains.
    if (putDone) await o.store.delete(key).catch(() => {});
    throw failure(errors);
  }
  log.info("stored", { stage: "store", key, rawBytes: dump.stdout.bytes, storedBytes: tap.bytes });
  const seek = index?.result() ?? null;
  return { rawBytes: dump.stdout.bytes, storedBytes: tap.bytes, sha256: tap.sha256(), tables, seek };
}

/** The root cause among the errors the stages reported (the others are consequences: premature close). */
function failure(errors: unknown[]): UserError {
  const secondary = (e: unknown) =>
    e instanceof Error &&
    ((e as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE" ||
      e.name === "AbortError" ||
      (e as NodeJS.ErrnoException).code === "ABORT_ERR");
  const root = errors.find((e) => !secondary(e)) ?? errors[0];
  const cause = root instanceof Error && root.name === "AbortError" && root.cause ? root.cause : root;
  const message = cause instanceof Error ? cause.message : String(cause);
  const own = cause instanceof UserError ? cause.hints : [];
  return new UserError(`backup failed: ${message}`, {
    hint: [...own, "nothing was kept: the upload was aborted and no manifest was written"],
    exitCode: cause instanceof UserError ? cause.exitCode : 1,
    cause,
  });
}
