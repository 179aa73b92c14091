import { SECTION, type TocEntry } from "./archive-scan.ts";

/**
 * Post-data entries that may run as soon as the data of their own tables is in, before the rest of the data.
 * pg_restore --jobs does the same (repoint_table_dependencies: a post-data entry's dependency on a table
 * becomes one on that table's data), which is how the limit builds one table's indexes while the largest
 * table still loads. Kept to what is safe whatever else is still loading: plain indexes and table
 * constraints (primary key, unique, exclusion), every dependency either pre-data or a table whose data is in.
 * Foreign keys (they read a second table), triggers, policies, index attachments, matview refreshes and
 * privileges stay in the final post-data run.
 */
const EARLY_DESCS = new Set(["INDEX", "CONSTRAINT"]);

/**
 * For each post-data entry that may run early: the data entries (dumpIds, from `loads`: the table data this
 * restore loads) that must be in first. Entries not in the map wait for the final post-data run.
 */
export function earlyPostData(
  entries: readonly TocEntry[],
  loads: ReadonlySet<number>,
): Map<number, number[]> {
  const byId = new Map(entries.map((e) => [e.dumpId, e]));
  // A TABLE DATA entry depends on its TABLE entry (pg_dump's makeTableDataInfo).
  const dataOfTable = new Map<number, number>();
  for (const e of entries)
    if (e.desc === "TABLE DATA" && loads.has(e.dumpId))
      for (const dep of e.dependencies) if (byId.get(dep)?.desc === "TABLE") dataOfTable.set(dep, e.dumpId);
  const plan = new Map<number, number[]>();
  for (const e of entries) {
    if (e.section !== SECTION.postData || !EARLY_DESCS.has(e.desc)) continue;
    const needs = new Set<number>();
    const safe = e.dependencies.every((dep) => {
      const data = dataOfTable.get(dep);
      if (data === undefined) return byId.get(dep)?.section === SECTION.preData;
      needs.add(data);
      return true;
    });
    // Nothing to wait for (say, an index on a partitioned parent or a matview): the final run is as early.
    if (safe && needs.size) plan.set(e.dumpId, [...needs]);
  }
  return plan;
}

/** Hands out early post-data entries as the data they wait for comes in. */
export class EarlyPostData {
  /** Early entry → how many of its data entries are still loading. */
  private readonly waiting = new Map<number, number>();
  /** Data entry → early entries waiting for it. */
  private readonly waiters = new Map<number, number[]>();
  private ready: number[] = [];

  constructor(plan: ReadonlyMap<number, readonly number[]>) {
    for (const [id, needs] of plan) {
      this.waiting.set(id, needs.length);
      for (const data of needs) {
        const list = this.waiters.get(data);
        if (list) list.push(id);
        else this.waiters.set(data, [id]);
      }
    }
  }

  /** The data entry `dumpId` is restored. */
  loaded(dumpId: number): void {
    for (const id of this.waiters.get(dumpId) ?? []) {
      const left = (this.waiting.get(id) ?? 0) - 1;
      if (left > 0) this.waiting.set(id, left);
      else {
        this.waiting.delete(id);
        this.ready.push(id);
      }
    }
    this.waiters.delete(dumpId);
  }

  /** Entries whose data is all in and that were not taken yet, by dumpId. */
  take(): number[] {
    const out = this.ready.sort((a, b) => a - b);
    this.ready = [];
    return out;
  }
}
