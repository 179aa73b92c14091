import { formatBytes } from "../output.ts";

/** What a restore has done so far (restoreBackup samples it for the progress line). */
export type RestoreProgress = {
  /** Archive bytes decoded (decrypted and decompressed), by every decoder together. */
  decoded: number;
  /** The whole archive's size (the manifest's rawBytes). */
  total: number;
  /** Seconds since decoding started. */
  secs: number;
  /** Restoring into a database while decoding: table data loaded of all, and whether post-data runs. */
  tables?: { loaded: number; tables: number; postData: boolean };
};

/**
 * One line a person at a terminal can read at a glance: how much is decoded, how fast, how many tables
 * are in, and when the indexes and constraints are being built (on a large database, the last long step).
 */
export function restoreProgressLine(p: RestoreProgress): string {
  // The rate while decoding only: afterwards it would sink towards zero while the indexes build.
  const rate = p.secs > 0 && p.decoded < p.total ? `, ${formatBytes(Math.round(p.decoded / p.secs))}/s` : "";
  const parts = [`decoded ${formatBytes(p.decoded)} / ${formatBytes(p.total)}${rate}`];
  if (p.tables) {
    parts.push(`table data ${p.tables.loaded}/${p.tables.tables} loaded`);
    if (p.tables.postData) parts.push("building indexes and constraints");
  }
  return parts.join("; ");
}
