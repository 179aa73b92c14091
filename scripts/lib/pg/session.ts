import pg from "pg";
import { UserError } from "../../../posture/errors.ts";
import { type ConnInfo, clientConfig, describeConn } from "./conninfo.ts";

/** Advisory lock namespace "RAMP"; advisory locks are per database, so one key per database already. */
const LOCK_CLASS = 0x52414d50;
const BACKUP_LOCK = 1;

/** A table as the manifest names it (`name`, quoted like quote_ident) and as the catalog does. */
export type UserTable = {
  name: string;
  schema: string;
  table: string;
  oid: number;
  /** Has (or had) inheritance children: its count(*) includes their rows, which its COPY does not. */
  inherited: boolean;
};

const qualified = (t: UserTable) => `${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.table)}`;

export type ServerInfo = {
  version: string;
  versionNum: number;
  database: string;
  sizeBytes: number;
  /** Unique per cluster; null when the role may not call pg_control_system(). */
  systemIdentifier: string | null;
};

/**
 * The backup job's own connection: it holds the "one backup per database" advisory lock and the
 * repeatable-read transaction whose exported snapshot pg_dump reads, so the row counts recorded in the
 * manifest are those of the very data in the dump.
 */
export class BackupSession {
  readonly client: pg.Client;

  private constructor(client: pg.Client) {
    this.client = client;
  }

  static async connect(info: ConnInfo): Promise<BackupSession> {
    const client = new pg.Client(clientConfig(info));
    try {
      await client.connect();
    } catch (e) {
      throw new UserError(`cannot connect to ${describeConn(info)}: ${(e as Error).message}`, {
        hint: "check DATABASE_URL / PG* and the password (PGPASSWORD or ~/.pgpass)",
        cause: e,
      });
    }
    // A dying connection must fail the run, not crash the process with an unhandled 'error' event.
    client.on("error", () => {});
    return new BackupSession(client);
  }

  async server(): Promise<ServerInfo> {
    const { rows } = await this.client.query<{ v: string; n: string; db: string; size: string }>(
      "select current_setting('server_version') v, current_setting('server_version_num') n, current_database() db, pg_database_size(current_database()) size",
    );
    const r = rows[0];
    if (!r) throw new Error("server info query returned no row");
    const systemIdentifier = await this.client
      .query<{ id: string }>("select system_identifier::text as id from pg_control_system()")
      .then((q) => q.rows[0]?.id ?? null)
      .catch(() => null);
    return {
      version: r.v.split(" ")[0] ?? r.v,
      versionNum: Number(r.n),
      database: r.db,
      sizeBytes: Number(r.size),
      systemIdentifier,
    };
  }

  /** Session-level lock: released when we disconnect or die, so a crashed run never blocks the next. */
  async tryLock(): Promise<boolean> {
    const { rows } = await this.client.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) ok", [
      LOCK_CLASS,
      BACKUP_LOCK,
    ]);
    return rows[0]?.ok === true;
  }

  /** Open the snapshot transaction; returns the id pg_dump --snapshot imports, and the server time of it. */
  async exportSnapshot(): Promise<{ id: string; time: Date }> {
    // Idle in its transaction for the whole dump: a server-wide idle timeout must not end the snapshot.
    await this.client.query("set idle_in_transaction_session_timeout = 0");
    await this.client.query("begin isolation level repeatable read read only");
    const { rows } = await this.client.query<{ id: string; t: Date }>(
      "select pg_export_snapshot() id, clock_timestamp() t",
    );
    const r = rows[0];
    if (!r) throw new Error("pg_export_snapshot returned no row");
    return { id: r.id, time: r.t };
  }

  /**
   * Every user table whose rows the manifest records, read inside the snapshot transaction: partitions as
   * themselves, partitioned parents not at all (no double count), no extension members.
   */
  async userTables(): Promise<UserTable[]> {
    const { rows } = await this.client.query<Omit<UserTable, "oid"> & { oid: string }>(
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name, n.nspname as schema,
              c.relname as "table", c.oid::int8::text as oid, c.relhassubclass as inherited
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r'
          and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
          and not exists (select 1 from pg_depend d
                           where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by 1`,
    );
    return rows.map((r) => ({ ...r, oid: Number(r.oid) }));
  }

  /**
   * Exact row counts of `tables`: count(*) inside the snapshot transaction, so what pg_dump sees. A table
   * truncated or rewritten since the snapshot is refused: TRUNCATE is not MVCC-safe, so the snapshot would
   * see it empty, a wrong count with no error. pg_dump's locks prevent that while it runs; a count that
   * outlasts it (or comes after it) is checked: pg_class as the snapshot saw it against the relation as it
   * is now (the count's lock refreshed it).
   */
  async countRows(tables: readonly UserTable[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of tables) {
      const { rows } = await this.client.query<{ n: string; same: boolean }>(
        `select (select count(*) from ${qualified(t)}) as n,
                (select relfilenode = pg_relation_filenode(oid) from pg_class where oid = $1) as same`,
        [t.oid],
      );
      if (rows[0]?.same !== true)
        throw new UserError(
          `cannot count the rows of ${t.name}: it was truncated or rewritten during the backup`,
          {
            hint: "its rows as of the snapshot can no longer be counted; run the backup again",
          },
        );
      counts[t.name] = Number(rows[0]?.n ?? 0);
    }
    return counts;
  }

  /** Ends the transaction and the connection (which releases the lock). */
  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
