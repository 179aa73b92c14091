// Test backups made with stock tools only (pg_dump -Fc | zstd | age -r), in exactly the layout of
// scripts/lib/manifest.ts: an independent producer, so restore is tested against the format, not against
// our own backup code. Row counts are read in the same snapshot-free way (the source is idle in tests).
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { recipientFingerprint } from "../../scripts/lib/age.ts";
import { sha256File } from "../../scripts/lib/hash.ts";
import { dumpKey, type Manifest, manifestKey, manifestSchema } from "../../scripts/lib/manifest.ts";
import type { Store } from "../../scripts/lib/store/index.ts";
import { DEMO_RECIPIENT } from "../support/age.ts";
import { pgEnv, tableCounts } from "../support/db.ts";
import { tempDir } from "../support/temp.ts";

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

/** Back up `sourceUrl` into `store` with pg_dump | zstd | age; returns the manifest (written last). */
export async function stockBackup(
  store: Store,
  sourceUrl: string,
  opts: { stack?: string; recipient?: string; snapshotTime?: Date; tables?: Record<string, number> } = {},
): Promise<Manifest> {
  const libpq = pgEnv(sourceUrl);
  const database = libpq.PGDATABASE;
  const started = new Date();
  const snapshotTime = opts.snapshotTime ?? started;
  const id = `${snapshotTime
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${database}-${Math.random().toString(16).slice(2, 6)}`;
  const dir = await tempDir("rampart-fixture-");
  try {
    const raw = join(dir, "dump.pgc");
    const out = join(dir, "dump.pgc.zst.age");
    const env = {
      ...process.env,
      ...libpq,
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
