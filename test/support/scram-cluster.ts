// A Postgres cluster that really checks passwords (SCRAM for everyone but the admin) with an app schema whose
// grants live on a group role: what password rotation is tested and benchmarked against.
import { statSync, writeFileSync } from "node:fs";
import { chown } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { type PostgresCluster, startPostgres } from "./postgres.ts";

export type AppCluster = { cluster: PostgresCluster; adminUrl: string; database: string };

export type Credential = { username: string; password: string };

export async function scramCluster(): Promise<AppCluster> {
  // log_statement=all: the tests prove the server log never sees a password either.
  const cluster = await startPostgres({
    settings: { password_encryption: "scram-sha-256", log_statement: "all" },
  });
  const hba = join(cluster.dataDir, "pg_hba.conf");
  const owner = statSync(hba);
  writeFileSync(
    hba,
    [
      "local all all trust",
      "host all postgres 127.0.0.1/32 trust",
      "host all all 127.0.0.1/32 scram-sha-256",
      "",
    ].join("\n"),
  );
  await chown(hba, owner.uid, owner.gid);
  const database = "shop";
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query("select pg_reload_conf()");
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const adminUrl = cluster.urlFor(database);
  const db = new pg.Client({ connectionString: adminUrl });
  await db.connect();
  try {
    await db.query(`
      create role app nologin;
      create table accounts (id int primary key, balance bigint not null default 0);
      insert into accounts select g, 0 from generate_series(1, 1000) g;
      grant select, update on accounts to app;`);
  } finally {
    await db.end();
  }
  return { cluster, adminUrl, database };
}

/** A client of the app database logging in as `cred` (not yet connected). */
export const appClient = (c: AppCluster, cred: Credential): pg.Client =>
  new pg.Client({
    host: c.cluster.host,
    port: c.cluster.port,
    database: c.database,
    user: cred.username,
    password: cred.password,
  });

/** Try a fresh login with a credential: true when it connects and runs a query. */
export async function canLogin(c: AppCluster, cred: Credential): Promise<boolean> {
  const client = appClient(c, cred);
  try {
    await client.connect();
    await client.query("select balance from accounts where id = 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
