import type { EvidenceEvent, EvidenceLog } from "../evidence.ts";
import type { Check, TableResult } from "./checks.ts";
import type { Objective } from "./metrics.ts";

export const DRILL_KIND = "drills";
export const RESTORE_KIND = "restores";

/** The evidence a drill leaves (evidence/drills/<stamp>-<backup>.json), plus its reports next to it. */
export type DrillRecord = {
  drillId: string;
  stack: string;
  outcome: "passed" | "failed";
  /** Why it failed, in one line (checks and objectives have the details). */
  failure: string | null;
  backup: { id: string; database: string; snapshotTime: string; storedBytes: number; sha256: string } | null;
  server: string;
  scratchDatabase: string;
  scratchDropped: boolean;
  startedAt: string;
  verifiedAt: string | null;
  finishedAt: string;
  rto: Objective;
  rpo: Objective;
  checks: Check[];
  tables: TableResult[];
  /** Milliseconds per stage. */
  stages: Record<string, number>;
  reports: { markdown: string; html: string };
};

export type StoredDrill = DrillRecord & EvidenceEvent & { key: string };

export async function drillHistory(evidence: EvidenceLog): Promise<StoredDrill[]> {
  return evidence.list<StoredDrill>(DRILL_KIND);
}
