// `rampart backup` end to end against the real PostgreSQL 15, moto S3 and fake-gcs-server: every store
// round-trips through stock age/zstd/pg_restore, the manifest's counts are the snapshot's, a too-old
// pg_dump is refused, an overlapping run is skipped, and secrets stay out of logs and the process list.

import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HashTap } from "../../scripts/lib/hash.ts";
import type { Manifest } from "../../scripts/lib/manifest.ts";
import { connInfoFromEnv } from "../../scripts/lib/pg/conninfo.ts";
import { BackupSession } from "../../scripts/lib/pg/session.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { GcsStore } from "../../scripts/lib/store/gcs.ts";
import { openStore } from "../../scripts/lib/store/index.ts";
import { ageKeyPair } from "../support/age.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { sql, tableCounts } from "../support/db.ts";
import { faultProxy } from "../support/fault-proxy.ts";
import { HARD_SCHEMA } from "../support/hard-schema.ts";
import {
  createGcsBucket,
  createS3Bucket,
  createTempDatabase,
  gcsEndpoint,
  s3Endpoint,
  type TempDatabase,
} from "../support/services.ts";
import { type PostureEdits, writeStack } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const execFileP = promisify(execFile);
type Ok = { status: "ok"; id: string; object: string; manifest: Manifest };

let dir: string;
let key: { keyFile: string; recipient: string };
let source: TempDatabase;
const cleanup: TempDatabase[] = [];

beforeAll(async () => {
  dir = await tempDir("rampart-backup-");
  key = await ageKeyPair(dir);
  source = await createTempDatabase("backup_src");
  await loadSampleDatabase(source.url);
  // The test process opens the same stores to read back what the CLI wrote.
  process.env.AWS_ENDPOINT_URL_S3 = s3Endpoint();
});
afterAll(async () => {
  for (const db of [source, ...cleanup]) await db?.drop();
});

/** <dir>/Pulumi.<name>.yaml backing up to `store`, encrypted to the test's key. */
const stackFor = (name: string, store: string, more: PostureEdits = {}) =>
  writeStack(dir, name, { "backups.store": store, "backups.recipients": [key.recipient], ...more }).file;

const cliEnv = (extra: NodeJS.ProcessEnv = {}) => ({
  DATABASE_URL: source.url,
  AWS_ENDPOINT_URL_S3: s3Endpoint(),
  STORAGE_EMULATOR_HOST: gcsEndpoint(),
  ...extra,
});

/** Fetch the object through the store, check its sha256, then age -d | zstd -d | pg_restore. */
async function restoreWithStockTools(storeUrl: string, m: Manifest): Promise<Record<string, number>> {
  // gcsClient() and STORAGE_EMULATOR_HOST do not mix in one process: give the emulator explicitly.
  const store = storeUrl.startsWith("gs:")
    ? new GcsStore(storeUrl, { apiEndpoint: gcsEndpoint() })
    : await openStore(storeUrl);
  const target = await createTempDatabase("backup_rt");
  cleanup.push(target);
  const tap = new HashTap();
  const child = spawn("sh", ["-c", 'age -d -i "$KEY" | zstd -d | pg_restore --no-owner -d "$TARGET"'], {
    env: { ...process.env, KEY: key.keyFile, TARGET: target.url },
    stdio: ["pipe", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((r) => child.once("close", r));
  await pipeline(await store.get(m.object), tap, child.stdin);
  expect(await exited).toBe(0);
  expect(tap.sha256()).toBe(m.sha256);
  expect(tap.bytes).toBe(m.storedBytes);
  return tableCounts(target.url);
}

describe("rampart backup round trip", () => {
  const stores: [string, () => Promise<string>][] = [
    ["file", async () => `file://${join(dir, "store")}`],
    ["s3", async () => `s3://${await createS3Bucket("rt")}/postgres`],
    ["gs", async () => `gs://${await createGcsBucket("rt")}/postgres`],
  ];
  for (const [name, makeStore] of stores) {
    it(`stores, lists and restores with stock tools via ${name}://`, async () => {
      const storeUrl = await makeStore();
      const stack = stackFor(`rt-${name}`, storeUrl);
      const run = await runCli(["backup", "--stack", stack, "--json"], cliEnv());
      expect(run.stderr).not.toMatch(/"level":"error"/);
      expect(run.code).toBe(0);
      const result = jsonResult<Ok>(run);
      expect(result.status).toBe("ok");
      const m = result.manifest;
      const sourceCounts = await tableCounts(source.url);
      expect(m.tables).toEqual(sourceCounts);
      expect(m.encryption.recipients.map((r) => r.recipient)).toEqual([key.recipient]);
      // The source cluster's identity, so restore can refuse to write over it.
      expect(m.source?.systemIdentifier).toMatch(/^\d{10,20}$/);
      expect(m.source?.database).toBe(m.database);
      expect(await restoreWithStockTools(storeUrl, m)).toEqual(sourceCounts);

      const list = await runCli(["backups", "list", "--stack", stack, "--json"], cliEnv());
      expect(list.code, list.stderr).toBe(0);
      const listed = jsonResult<{ backups: Manifest[] }>(list).backups;
      expect(listed.map((b) => b.id)).toEqual([m.id]);
      expect(listed[0]).toEqual(m);
    });
  }
});

describe("consistency", () => {
  it("records the snapshot's row counts while writes continue", async () => {
    const db = await createTempDatabase("backup_busy");
    cleanup.push(db);
    await loadSampleDatabase(db.url);
    await sql(db.url, "create table events (id bigserial primary key, at timestamptz default now())");
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    let writing = true;
    let inserted = 0;
    const loop = (async () => {
      while (writing) {
        await writer.query("insert into events default values");
        await writer.query("update customers set name = name where id = $1", [1 + (inserted % 100)]);
        inserted++;
      }
    })();
    // Let some rows land before the snapshot, so the count is neither 0 nor the final value by accident.
    while (inserted < 50) await new Promise((r) => setImmediate(r));
    const storeUrl = `file://${join(dir, "busy")}`;
    const stack = stackFor("busy", storeUrl);
    const run = await runCli(["backup", "--stack", stack, "--json"], cliEnv({ DATABASE_URL: db.url }));
    const atEnd = inserted;
    await new Promise((r) => setImmediate(r));
    writing = false;
    await loop;
    await writer.end();
    expect(run.stderr).not.toMatch(/"level":"error"/);
    expect(run.code).toBe(0);
    const m = jsonResult<Ok>(run).manifest;
    const counted = m.tables["public.events"] ?? -1;
    expect(counted).toBeGreaterThanOrEqual(50);
    // Writes went on after the snapshot: the source moved on, the manifest did not.
    expect(atEnd).toBeGreaterThan(counted);
    expect((await tableCounts(db.url))["public.events"]).toBeGreaterThan(counted);
    // And the dump holds exactly what the manifest says.
    expect(await restoreWithStockTools(storeUrl, m)).toEqual(m.tables);
  });
});

describe("row counts", () => {
  /** The "rows counted" log line of a --json run (non-TTY: one JSON object per line on stderr). */
  const countedLine = (stderr: string) =>
    stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; fromDump?: number; withSql?: number; afterDump?: number })
      .find((l) => l.msg === "rows counted");

  let hard: TempDatabase;
  beforeAll(async () => {
    hard = await createTempDatabase("backup_hard");
    cleanup.push(hard);
    await sql(hard.url, HARD_SCHEMA);
  });

  it("reads every table's rows from the dump itself, equal to count(*) on a database of hard objects", async () => {
    // count(*) of an inheritance parent includes its children's rows; its COPY (and so its block) does not.
    const storeUrl = `file://${join(dir, "hard")}`;
    const run = await runCli(
      ["backup", "--stack", stackFor("hard", storeUrl), "--json"],
      cliEnv({ DATABASE_URL: hard.url }),
    );
    expect(run.code, run.stderr).toBe(0);
    const m = jsonResult<Ok>(run).manifest;
    const counts = await tableCounts(hard.url);
    expect(Object.keys(counts).length).toBeGreaterThan(5); // partitions, quoted names, an empty table …
    expect(m.tables).toEqual(counts);
    expect(m.tables["public.vehicles"]).toBe(27);
    expect(countedLine(run.stderr)).toEqual(
      expect.objectContaining({ fromDump: Object.keys(counts).length - 1, withSql: 1, afterDump: 0 }),
    );
    expect(await restoreWithStockTools(storeUrl, m)).toEqual(counts);
  });

  it("counts with SQL in the snapshot when nothing follows the archive (gzip)", async () => {
    const storeUrl = `file://${join(dir, "hard-gzip")}`;
    const stack = stackFor("hard-gzip", storeUrl, { "backups.compression": { algorithm: "gzip", level: 6 } });
    const run = await runCli(["backup", "--stack", stack, "--json"], cliEnv({ DATABASE_URL: hard.url }));
    expect(run.code, run.stderr).toBe(0);
    const m = jsonResult<Ok>(run).manifest;
    const counts = await tableCounts(hard.url);
    expect(m.tables).toEqual(counts);
    expect(countedLine(run.stderr)).toMatchObject({ fromDump: 0, withSql: Object.keys(counts).length });
  });

  it("counts a table the dump holds no data block for after the dump, in the snapshot", async () => {
    // The real pg_dump, leaving out one table's data (Rampart never does: it stands in for any such case).
    const bin = await pgDumpWrapper(
      "pg-no-data-bin",
      'case "$1" in --version) exec "$REAL" "$1";; *) exec "$REAL" --exclude-table-data=public.tenant_notes "$@";; esac',
    );
    const { run, m, counts } = await backupHard("hard-no-data", bin);
    expect(m.tables).toEqual(counts);
    expect(counts["public.tenant_notes"]).toBe(30);
    expect(countedLine(run.stderr)).toMatchObject({ withSql: 1, afterDump: 1 });
  });

  it("refuses to count a table truncated after the snapshot instead of recording 0", async () => {
    const db = await createTempDatabase("backup_truncated");
    cleanup.push(db);
    await sql(db.url, "create table t (id int); insert into t select generate_series(1, 10)");
    const session = await BackupSession.connect(connInfoFromEnv({ DATABASE_URL: db.url }));
    try {
      await session.exportSnapshot();
      const listed = await session.userTables();
      expect(await session.countRows(listed)).toEqual({ "public.t": 10 });
      const other = await BackupSession.connect(connInfoFromEnv({ DATABASE_URL: db.url }));
      await session.client.query("commit"); // lets TRUNCATE through, as pg_dump's exit would
      await session.exportSnapshot();
      await other.client.query("truncate t");
      await other.close();
      // The snapshot predates the TRUNCATE: count(*) would say 0 rows.
      await expect(session.countRows(listed)).rejects.toThrow(/public\.t: it was truncated or rewritten/);
    } finally {
      await session.close();
    }
  });

  it("counts with SQL when pg_dump's archive version is not one Rampart reads (a pg_dump 17)", async () => {
    // Says it is pg_dump 17 (archive 1.16), then runs the real pg_dump.
    const bin = await pgDumpWrapper(
      "pg17-bin",
      'case "$1" in --version) echo "pg_dump (PostgreSQL) 17.2";; *) exec "$REAL" "$@";; esac',
    );
    const { run, m, counts } = await backupHard("hard-17", bin);
    expect(m.pgDumpVersion).toBe("17.2");
    expect(m.tables).toEqual(counts);
    expect(countedLine(run.stderr)).toMatchObject({ fromDump: 0, withSql: Object.keys(counts).length });
  });

  /** A bin directory whose pg_dump runs `script` (sh; `$REAL` is the real pg_dump). */
  async function pgDumpWrapper(name: string, script: string): Promise<string> {
    const bin = join(dir, name);
    await mkdir(bin, { recursive: true });
    const real = (await execFileP("sh", ["-c", "command -v pg_dump"])).stdout.trim();
    await writeFile(join(bin, "pg_dump"), `#!/bin/sh\nREAL=${JSON.stringify(real)}\n${script}\n`);
    await chmod(join(bin, "pg_dump"), 0o755);
    return bin;
  }

  /** `rampart backup` of the hard-objects database with the pg_dump of `bin`; the source's counts. */
  async function backupHard(name: string, bin: string) {
    const storeUrl = `file://${join(dir, name)}`;
    const run = await runCli(
      ["backup", "--stack", stackFor(name, storeUrl), "--json"],
      cliEnv({ DATABASE_URL: hard.url, RAMPART_PG_BIN: bin }),
    );
    expect(run.code, run.stderr).toBe(0);
    return { run, m: jsonResult<Ok>(run).manifest, counts: await tableCounts(hard.url) };
  }
});

describe("refusals", () => {
  it("refuses a pg_dump older than the server, before dumping anything", async () => {
    const bin = join(dir, "old-pg-bin");
    await mkdir(bin, { recursive: true });
    // Stands in for an installed pg_dump 14: only its --version answer matters, it must never be run to dump.
    await writeFile(
      join(bin, "pg_dump"),
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 14.11"; exit 0; fi\necho dumped >&2; exit 3\n',
    );
    await chmod(join(bin, "pg_dump"), 0o755);
    const storeUrl = `file://${join(dir, "old")}`;
    const stack = stackFor("old", storeUrl);
    const run = await runCli(["backup", "--stack", stack], cliEnv({ RAMPART_PG_BIN: bin }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pg_dump 14\.11 .* is older than the server \(PostgreSQL 15/);
    expect(run.stderr).toMatch(/HINT: install postgresql-client-15/);
    expect(run.stderr).not.toMatch(/dumped/);
    expect(await readdir(join(dir, "old")).catch(() => [])).toEqual([]);
  });

  it("backs up with a $TMPDIR too deep for a socket path (falls back to /tmp for pg_dump's socket)", async () => {
    const deep = join(dir, "t".repeat(60), "u".repeat(40));
    await mkdir(deep, { recursive: true });
    const storeUrl = `file://${join(dir, "deep-tmp")}`;
    const run = await runCli(
      ["backup", "--stack", stackFor("deeptmp", storeUrl), "--json"],
      cliEnv({ DATABASE_URL: source.url, TMPDIR: deep }),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).status).toBe("ok");
  });

  it("refuses an implausibly small dump and keeps nothing", async () => {
    const empty = await createTempDatabase("backup_empty");
    cleanup.push(empty);
    const storeUrl = `file://${join(dir, "small")}`;
    const stack = stackFor("small", storeUrl, { "backups.minDumpBytes": 1_000_000 });
    const run = await runCli(["backup", "--stack", stack], cliEnv({ DATABASE_URL: empty.url }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/implausibly small/);
    expect(await (await openStore(storeUrl)).list()).toEqual([]);
  });
});

describe("overlap and secrets", () => {
  it("skips a second run while one is in flight; no password in logs or the process list", async () => {
    const password = "Sup3r-S3cret-pw-0451";
    const url = new URL(source.url);
    url.password = password;
    const bucket = await createS3Bucket("overlap");
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const proxy = await faultProxy(s3Endpoint(), (req) => (req.method === "PUT" ? held : "pass"));
    try {
      const stack = stackFor("overlap", `s3://${bucket}/pg`);
      const env = cliEnv({ DATABASE_URL: url.toString(), AWS_ENDPOINT_URL_S3: proxy.endpoint });
      let dumpPid: number | undefined;
      let onDump = () => {};
      const dumping = new Promise<void>((r) => {
        onDump = r;
      });
      const first = runCli(["backup", "--stack", stack, "--json"], env, {
        onStderrLine: (line) => {
          if (line.includes('"stage":"dump"')) {
            dumpPid = (JSON.parse(line) as { pid: number }).pid;
            onDump();
          }
        },
      });
      await dumping;
      // While the first run is held mid-upload: argv of every process, pg_dump's included.
      const { stdout: ps } = await execFileP("ps", ["-eo", "args"]);
      expect(ps).toContain("--snapshot=");
      expect(ps).not.toContain(password);
      const second = await runCli(["backup", "--stack", stack, "--json"], env);
      release();
      const done = await first;

      expect(dumpPid).toBeGreaterThan(0);
      expect(second.code).toBe(0);
      expect(jsonResult<{ status: string; reason: string }>(second)).toMatchObject({
        status: "skipped",
        reason: "another backup is running",
      });
      expect(second.stderr).toMatch(/another backup is running/);
      expect(done.stderr).not.toMatch(/"level":"error"/);
      expect(done.code).toBe(0);
      expect(jsonResult<Ok>(done).status).toBe("ok");
      for (const out of [done.stdout, done.stderr, second.stdout, second.stderr])
        expect(out).not.toContain(password);
    } finally {
      release();
      await proxy.close();
    }
  });

  it("keeps the password out of a failure's message", async () => {
    const password = "An0ther-S3cret-pw-77";
    const stack = stackFor("badconn", `file://${join(dir, "badconn")}`);
    const run = await runCli(["backup", "--stack", stack], {
      DATABASE_URL: `postgres://postgres:${password}@127.0.0.1:1/nowhere`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to 127\.0\.0\.1:1\/nowhere/);
    expect(run.stderr + run.stdout).not.toContain(password);
  });
});
