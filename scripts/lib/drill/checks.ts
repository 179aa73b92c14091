/** One verification of a drill, as recorded in evidence and shown in reports. */
export type Check = {
  kind: "tables" | "row-counts" | "amcheck" | "verify-sql";
  name: string;
  ok: boolean;
  /** What was found, for humans: the failing tables, the query's value, pg_amcheck's complaint. */
  detail: string;
};

/** Per-table comparison: the manifest's count (at backup time) and the restored database's. */
export type TableResult = { table: string; expected: number; actual: number | null };
