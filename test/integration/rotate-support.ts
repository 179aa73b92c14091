// Shared by the rotate-*.test.ts integration tests: a Postgres cluster that really checks passwords
// (SCRAM for everyone but the admin), an app schema whose grants live on the group role, and a way to
// run the real CLI as a child process.
import { spawn } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { chown } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { type PostgresCluster, startPostgres } from "../support/postgres.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;

export type AppCluster = { cluster: PostgresCluster; adminUrl: string; database: string };

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

export type CliRun = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** `node scripts/cli.ts ...args` with `env` added; never a secret in args. */
export function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/cli.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, RAMPART_ACTOR: "test", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c));
    child.stderr.on("data", (c: Buffer) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

export type Credential = { username: string; password: string };

/** Try a fresh login with a credential: true when it connects and runs a query. */
export async function canLogin(c: AppCluster, cred: Credential): Promise<boolean> {
  const client = new pg.Client({
    host: c.cluster.host,
    port: c.cluster.port,
    database: c.database,
    ...{ user: cred.username, password: cred.password },
  });
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
