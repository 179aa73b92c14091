import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import pg from "pg";
import { type ConnInfo, clientConfig, libpqEnv } from "../pg/conninfo.ts";
import { pgTool } from "../pg/dump.ts";

import type { Check } from "./checks.ts";

const execFileP = promisify(execFile);

/**
 * Structural check of the restored database: pg_amcheck (btree indexes and heap tables) after
 * CREATE EXTENSION amcheck. A restore can "succeed" with an index that does not match its table (collation
 * changes between servers); this is what catches it.
 */
export async function runAmcheck(conn: ConnInfo): Promise<Check> {
  const client = new pg.Client(clientConfig(conn));
  await client.connect();
  try {
    await client.query("create extension if not exists amcheck");
  } finally {
    await client.end();
  }
  const name = "pg_amcheck: indexes and tables are consistent";
  try {
    await execFileP(
      pgTool("pg_amcheck"),
      [`--jobs=${Math.max(1, availableParallelism())}`, `dbname='${conn.database.replaceAll("'", "\\'")}'`],
      { env: libpqEnv(conn), maxBuffer: 16 * 1024 * 1024 },
    );
    return { kind: "amcheck", name, ok: true, detail: "no corruption found" };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT")
      return {
        kind: "amcheck",
        name,
        ok: false,
        detail: "pg_amcheck not found: install the PostgreSQL client tools or set RAMPART_PG_BIN",
      };
    const out = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim().split("\n").slice(0, 10).join(" | ");
    return { kind: "amcheck", name, ok: false, detail: out || err.message };
  }
}
