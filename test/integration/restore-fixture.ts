// Test backups made with stock tools only (pg_dump -Fc | zstd | age -r), in exactly the layout of
// scripts/lib/manifest.ts: an independent producer, so restore is tested against the format, not against
// our own backup code. Row counts are read in the same snapshot-free way (the source is idle in tests).
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { recipientFingerprint } from "../../scripts/lib/age.ts";
import { sha256File } from "../../scripts/lib/hash.ts";
import { dumpKey, type Manifest, manifestKey, manifestSchema } from "../../scripts/lib/manifest.ts";
import type { Store } from "../../scripts/lib/store/index.ts";

export const DEMO_IDENTITY_FILE = new URL("../../stacks/local.demo-identity.txt", import.meta.url).pathname;
export const DEMO_RECIPIENT = "age1754s09rf3d02vzfc33qc5hlj7hd50t3rlvyw53pruu7j0msdtg7qaw05y7";

function sh(script: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-o", "pipefail", "-c", script], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${script}: exit ${code}\n${err}`)),
    );
  });
}

/** quote_ident(schema).quote_ident(table) → count(*), as `rampart backup` records them. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; sql: string }>(
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
              format('select count(*) as n from %I.%I', n.nspname, c.relname) as sql
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`,
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = Number((await client.query<{ n: string }>(r.sql)).rows[0]?.n);
    return out;
  } finally {
    await client.end();
  }
}

/** Back up `sourceUrl` into `store` with pg_dump | zstd | age; returns the manifest (written last). */
export async function stockBackup(
  store: Store,
  sourceUrl: string,
  opts: { stack?: string; recipient?: string; snapshotTime?: Date; tables?: Record<string, number> } = {},
): Promise<Manifest> {
  const u = new URL(sourceUrl);
  const database = decodeURIComponent(u.pathname.slice(1));
  const started = new Date();
  const snapshotTime = opts.snapshotTime ?? started;
  const id = `${snapshotTime
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${database}-${Math.random().toString(16).slice(2, 6)}`;
  const dir = await mkdtemp(join(tmpdir(), "rampart-fixture-"));
  try {
    const raw = join(dir, "dump.pgc");
    const out = join(dir, "dump.pgc.zst.age");
    const env = {
      ...process.env,
      PGHOST: u.hostname,
      PGPORT: u.port || "5432",
      PGUSER: decodeURIComponent(u.username),
      PGDATABASE: database,
      RAW: raw,
      OUT: out,
      RECIPIENT: opts.recipient ?? DEMO_RECIPIENT,
    };
    await sh('pg_dump -Fc -Z0 -f "$RAW" && zstd -q -c "$RAW" | age -r "$RECIPIENT" -o "$OUT"', env);
    const key = dumpKey(id);
    await store.put(key, createReadStream(out));
    const recipient = opts.recipient ?? DEMO_RECIPIENT;
    const manifest = manifestSchema.parse({
      version: 1,
      id,
      stack: opts.stack ?? "test",
      database,
      serverVersion: "15",
      pgDumpVersion: "15",
      snapshotTime: snapshotTime.toISOString(),
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      object: key,
      rawBytes: (await stat(raw)).size,
      storedBytes: (await stat(out)).size,
      sha256: await sha256File(out),
      compression: { algorithm: "zstd", level: 3 },
      encryption: {
        format: "age-v1",
        recipients: [{ recipient, fingerprint: recipientFingerprint(recipient) }],
      },
      tables: opts.tables ?? (await tableCounts(sourceUrl)),
      tool: { name: "rampart", version: "test-fixture" },
    });
    await store.putBytes(manifestKey(id), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per-table content checksums (md5 over every row's text, ordered): equal ⇔ same data. */
export async function tableChecksums(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; sql: string }>(
      `select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name,
              format('select md5(coalesce(string_agg(t::text, E''\\n'' order by t::text), '''')) as h from only %I.%I t', n.nspname, c.relname) as sql
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
        order by 1`,
    );
    const out: Record<string, string> = {};
    for (const r of rows) out[r.name] = String((await client.query<{ h: string }>(r.sql)).rows[0]?.h);
    return out;
  } finally {
    await client.end();
  }
}
