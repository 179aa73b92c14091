import type { Posture } from "../../../posture/index.ts";
import type { EvidenceLog } from "../evidence.ts";
import type { Logger } from "../log.ts";
import type { Manifest } from "../manifest.ts";
import { type ConnInfo, describeConn } from "../pg/conninfo.ts";
import { readManifest, resolveBackupId } from "../restore/fetch.ts";
import { restoreBackup } from "../restore/index.ts";
import type { Store } from "../store/index.ts";
import { runAmcheck } from "./amcheck.ts";
import type { Check, TableResult } from "./checks.ts";
import { measureObjectives } from "./metrics.ts";
import { DRILL_KIND, type DrillRecord, drillHistory } from "./record.ts";
import { renderHtml, renderMarkdown } from "./report.ts";
import { createScratch, type ScratchDatabase, scratchName } from "./scratch.ts";
import { compareTables, runVerifySql } from "./verify.ts";

export type DrillRequest = {
  posture: Posture;
  store: Store;
  evidence: EvidenceLog;
  /** Server the scratch database is created on (through any database it names). */
  server: ConnInfo;
  backup: string;
  identities: readonly string[];
  jobs?: number;
  log: Logger;
  now?: () => Date;
};

export type DrillResult = {
  record: DrillRecord;
  recordKey: string;
  reportUrls: { markdown: string; html: string };
};

/**
 * Restore a backup into a scratch database, verify it, measure RTO/RPO, drop the scratch database (also on
 * failure), and leave evidence: reports first, then the JSON record (the record is the drill's proof, so it
 * names reports that already exist). Never throws for a failed drill: the record says what failed.
 */
export async function runDrill(req: DrillRequest): Promise<DrillResult> {
  const now = req.now ?? (() => new Date());
  const startedAt = now();
  const stages: Record<string, number> = {};
  const stage = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      stages[name] = Math.round(performance.now() - t);
    }
  };
  const checks: Check[] = [];
  let tables: TableResult[] = [];
  let manifest: Manifest | null = null;
  let verifiedAt: Date | null = null;
  let failure: string | null = null;
  let scratch: ScratchDatabase | null = null;
  let scratchDropped = false;
  const name = scratchName(startedAt);
  const log = req.log.with({ job: "drill" });

  try {
    const id = await resolveBackupId(req.store, req.backup);
    manifest = await readManifest(req.store, id);
    log.info(`drilling backup ${id} (snapshot ${manifest.snapshotTime}) in scratch database ${name}`);
    scratch = await createScratch(req.server, name);
    const restored = await restoreBackup({
      store: req.store,
      backup: id,
      identities: req.identities,
      target: scratch.conn,
      jobs: req.jobs,
      log,
    });
    stages.fetch = Math.round(restored.ms.fetch);
    stages.decrypt = Math.round(restored.ms.decode);
    stages.pg_restore = Math.round(restored.ms.restore);
    const conn = scratch.conn;
    const m = manifest;
    await stage("verify", async () => {
      log.info("verifying: tables and row counts, pg_amcheck, posture checks");
      const compared = await compareTables(conn, m);
      tables = compared.tables;
      checks.push(
        ...compared.checks,
        await runAmcheck(conn),
        ...(await runVerifySql(conn, req.posture.drills.verify)),
      );
    });
    verifiedAt = now();
    const failed = checks.filter((c) => !c.ok);
    if (failed.length) failure = failed.map((c) => `${c.name}: ${c.detail}`).join("; ");
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    log.error(`drill failed: ${failure}`);
  } finally {
    if (scratch) {
      try {
        await scratch.drop();
        scratchDropped = true;
      } catch (e) {
        log.error(`could not drop scratch database ${name}: ${(e as Error).message}`);
      }
    }
  }

  const { rto, rpo } = measureObjectives({
    startedAt,
    verifiedAt: failure ? null : verifiedAt,
    snapshotTime: manifest ? new Date(manifest.snapshotTime) : null,
    rtoMinutes: req.posture.drills.rtoMinutes,
    rpoMinutes: req.posture.drills.rpoMinutes,
  });
  if (!failure && !rto.met)
    failure = `RTO target missed: took ${rto.seconds}s, target ${rto.targetMinutes} min`;
  if (!failure && !rpo.met)
    failure = `RPO target missed: data was ${rpo.seconds}s old, target ${rpo.targetMinutes} min`;
  if (!failure && !scratchDropped) failure = `scratch database ${name} could not be dropped`;

  const drillId = `${startedAt
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${manifest?.id ?? "no-backup"}`;
  const reports = {
    markdown: `${DRILL_KIND}/reports/${drillId}.md`,
    html: `${DRILL_KIND}/reports/${drillId}.html`,
  };
  const record: DrillRecord = {
    drillId,
    stack: req.posture.source.stack,
    outcome: failure ? "failed" : "passed",
    failure,
    backup: manifest && {
      id: manifest.id,
      database: manifest.database,
      snapshotTime: manifest.snapshotTime,
      storedBytes: manifest.storedBytes,
      sha256: manifest.sha256,
    },
    server: describeConn(req.server),
    scratchDatabase: name,
    scratchDropped,
    startedAt: startedAt.toISOString(),
    verifiedAt: verifiedAt && !failure ? verifiedAt.toISOString() : null,
    finishedAt: now().toISOString(),
    rto,
    rpo,
    checks,
    tables,
    stages,
    reports,
  };
  const history = await drillHistory(req.evidence).catch(() => []);
  await req.evidence.store.putBytes(reports.markdown, renderMarkdown(record), "text/markdown");
  await req.evidence.store.putBytes(reports.html, renderHtml(record, history), "text/html");
  const recordKey = await req.evidence.record(DRILL_KIND, drillId, record);
  const url = (key: string) => `${req.evidence.store.url}/${key}`;
  return { record, recordKey, reportUrls: { markdown: url(reports.markdown), html: url(reports.html) } };
}
