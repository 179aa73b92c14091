import type { Retention } from "../../../posture/schema/backups.ts";
import type { Logger } from "../log.ts";
import type { Manifest } from "../manifest.ts";
import { manifestKey } from "../manifest.ts";
import type { DeleteResult, Store } from "../store/index.ts";
import { readCatalog } from "./catalog.ts";
import { type KeepReason, planRetention } from "./retention.ts";

export type PruneResult = {
  dryRun: boolean;
  kept: { id: string; reasons: KeepReason[] }[];
  deleted: string[];
  /** Backups retention wanted gone but the store refused (object lock, permissions): reported, not fatal. */
  refused: { id: string; key: string; reason: string; detail: string }[];
  incomplete: string[];
  invalid: { key: string; problem: string }[];
};

/**
 * Apply GFS retention. Per backup the dump is deleted first and the manifest last, so a refused delete
 * (object lock) leaves a complete, listed backup rather than an orphan manifest pointing at nothing.
 */
export async function prune(
  store: Store,
  retention: Retention,
  opts: { dryRun: boolean; now: Date; log: Logger },
): Promise<PruneResult> {
  const catalog = await readCatalog(store);
  const byId = new Map<string, Manifest>(catalog.backups.map((m) => [m.id, m]));
  const plan = planRetention(
    catalog.backups.map((m) => ({ id: m.id, time: new Date(m.snapshotTime) })),
    retention,
    opts.now,
  );
  const result: PruneResult = {
    dryRun: opts.dryRun,
    kept: plan.keep,
    deleted: [],
    refused: [],
    incomplete: catalog.incomplete,
    invalid: catalog.invalid,
  };
  for (const id of plan.delete) {
    const m = byId.get(id);
    if (!m) continue;
    if (opts.dryRun) {
      result.deleted.push(id);
      continue;
    }
    const refusedBy = await firstRefusal(store, [m.object, manifestKey(id)]);
    if (refusedBy) {
      opts.log.warn(`could not delete backup ${id}: ${refusedBy.reason}`, { key: refusedBy.key });
      result.refused.push({ id, key: refusedBy.key, reason: refusedBy.reason, detail: refusedBy.detail });
    } else {
      opts.log.info("deleted backup", { stage: "prune", id });
      result.deleted.push(id);
    }
  }
  return result;
}

/** Delete keys in order, stopping at the first the store refuses ("missing" counts as done). */
async function firstRefusal(
  store: Store,
  keys: string[],
): Promise<Extract<DeleteResult, { deleted: false }> | undefined> {
  for (const key of keys) {
    const r = await store.delete(key);
    if (!r.deleted && r.reason !== "missing") return r;
  }
  return undefined;
}
