import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../posture/errors.ts";
import type { Logger } from "../log.ts";
import type { Manifest } from "../manifest.ts";
import { formatBytes } from "../output.ts";
import { type ConnInfo, describeConn } from "../pg/conninfo.ts";
import type { Store } from "../store/index.ts";
import { addDataOffsets } from "./archive-offsets.ts";
import { decodeToFile } from "./decode.ts";
import { fetchVerified, readManifest, resolveBackupId } from "./fetch.ts";
import { type PgRestoreOptions, runPgRestore } from "./pg-restore.ts";
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
};

export type RestoreResult = {
  manifest: Manifest;
  target: TargetIdentity | null;
  toFile: string | null;
  dumpBytes: number;
  ms: { fetch: number; decode: number; restore: number; total: number };
};

/**
 * Fetch → verify SHA-256 → decrypt → decompress → pg_restore. The target is checked before anything is
 * downloaded (fail in seconds, not after an hour of transfer); the object is verified before age sees it.
 */
export async function restoreBackup(req: RestoreRequest): Promise<RestoreResult> {
  if (!req.target === !req.toFile) throw new Error("restoreBackup needs exactly one of target and toFile");
  const t0 = performance.now();
  const id = await resolveBackupId(req.store, req.backup);
  const manifest = await readManifest(req.store, id);
  const log = req.log.with({ backup: id });
  const target = req.target ? await checkTarget(req.target, manifest, req) : null;

  const work = await mkdtemp(join(tmpdir(), "rampart-restore-"));
  try {
    log.info(`fetching ${formatBytes(manifest.storedBytes)} from ${req.store.url}`);
    const encrypted = await fetchVerified(req.store, manifest, work, (n) =>
      log.progress(`fetching ${formatBytes(n)} / ${formatBytes(manifest.storedBytes)}`),
    );
    const t1 = performance.now();
    log.info("sha256 verified; decrypting");
    const dumpPath = req.toFile ?? join(work, "dump.pgc");
    const dumpBytes = await decodeToFile(encrypted, manifest, req.identities, dumpPath);
    await rm(encrypted);
    const t2 = performance.now();
    if (req.target) {
      // Streamed dumps lack data offsets; adding them makes parallel pg_restore much faster.
      log.debug(`archive data offsets: ${await addDataOffsets(dumpPath)}`);
      log.info(`pg_restore into ${describeConn(req.target)}`);
      await runPgRestore(dumpPath, req.target, req);
    }
    const t3 = performance.now();
    return {
      manifest,
      target,
      toFile: req.toFile ?? null,
      dumpBytes,
      ms: { fetch: t1 - t0, decode: t2 - t1, restore: t3 - t2, total: t3 - t0 },
    };
  } finally {
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

/** The manifest's `source` block, if the backup wrote one (older backups do not). */
function manifestSource(manifest: Manifest): SourceHint | null {
  return manifest.source
    ? { systemIdentifier: manifest.source.systemIdentifier, database: manifest.source.database }
    : null;
}
