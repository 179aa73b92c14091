// Round trips through every store kind with the real `rampart backup`: data restored by Rampart equals the
// source table by table (content checksums, not only counts).
import { rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readIdentityFile } from "../../scripts/lib/age.ts";
import { EvidenceLog } from "../../scripts/lib/evidence.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import {
  fetchVerified,
  listBackupIds,
  type ResumeInfo,
  readManifest,
} from "../../scripts/lib/restore/fetch.ts";
import { restoreBackup } from "../../scripts/lib/restore/index.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { GcsStore } from "../../scripts/lib/store/gcs.ts";
import { S3Store } from "../../scripts/lib/store/s3.ts";
import { runCli } from "../support/cli.ts";
import { tableChecksums } from "../support/db.ts";
import { type Decision, faultProxy } from "../support/fault-proxy.ts";
import { silentLog } from "../support/log.ts";
import {
  createGcsBucket,
  createS3Bucket,
  createTempDatabase,
  gcsEndpoint,
  s3Endpoint,
  type TempDatabase,
} from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const log = silentLog();
let source: TempDatabase;
let sourceSums: Record<string, string>;
const cleanup: TempDatabase[] = [];
const dirs: string[] = [];
const dirFor = async (prefix: string) => {
  const d = await tempDir(prefix);
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  source = await createTempDatabase("restore_stores_src");
  await loadSampleDatabase(source.url);
  sourceSums = await tableChecksums(source.url);
  process.env.AWS_ENDPOINT_URL_S3 = s3Endpoint();
});
afterAll(async () => {
  for (const db of [source, ...cleanup]) await db?.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function target(): Promise<TempDatabase> {
  const db = await createTempDatabase("restore_stores_rt");
  cleanup.push(db);
  return db;
}

/** A stack whose backups go to a fresh moto bucket, and `rampart backup` of the source into it. */
async function backedUpToS3(name: string) {
  const bucket = await createS3Bucket(name);
  const stack = writeStackWithIdentity(await dirFor(`rampart-restore-${name}-`), {
    "backups.store": `s3://${bucket}/postgres`,
  });
  const backup = await runCli(["backup", "--stack", stack.file, "--json"], {
    DATABASE_URL: source.url,
    AWS_ENDPOINT_URL_S3: s3Endpoint(),
  });
  expect(backup.code, backup.stderr).toBe(0);
  return { stack, backup };
}

/**
 * `rampart restore` of the stack's latest backup into a new database, S3 reached through a fault proxy
 * whose `decide` sees the reads of the backup object (everything else passes).
 */
async function restoreVia(stack: IdentityStack, decide: (req: IncomingMessage) => Decision) {
  const proxy = await faultProxy(s3Endpoint(), (req) =>
    req.method === "GET" && req.url?.includes("dump.pgc.zst.age") ? decide(req) : "pass",
  );
  try {
    const db = await target();
    const restore = await runCli(
      ["restore", "--stack", stack.file, "--target", db.url, "--identity-file", stack.identityFile],
      { AWS_ENDPOINT_URL_S3: proxy.endpoint },
    );
    return { restore, db };
  } finally {
    await proxy.close();
  }
}

describe("restore round trip from each store", () => {
  it("s3:// — rampart backup, then rampart restore (CLI), audited in the evidence store", async () => {
    const bucket = await createS3Bucket("restore");
    const stack = writeStackWithIdentity(await dirFor("rampart-restore-s3-"), {
      "backups.store": `s3://${bucket}/postgres`,
    });
    const env = { DATABASE_URL: source.url, AWS_ENDPOINT_URL_S3: s3Endpoint() };
    const backup = await runCli(["backup", "--stack", stack.file, "--json"], env);
    expect(backup.code, backup.stderr).toBe(0);
    const db = await target();
    const restore = await runCli(
      ["restore", "--stack", stack.file, "--target", db.url, "--identity-file", stack.identityFile, "--json"],
      env,
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect(await tableChecksums(db.url)).toEqual(sourceSums);
    const events = await (await EvidenceLog.open(stack.evidenceUrl)).list("restores");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: "restored", targetServer: { database: db.name } });
  });

  it("s3:// — a download cut off mid-body resumes from the last byte on disk (CLI, through a proxy)", async () => {
    const { stack, backup } = await backedUpToS3("resume");
    const storedBytes = (JSON.parse(backup.stdout) as { manifest: { storedBytes: number } }).manifest
      .storedBytes;
    expect(storedBytes).toBeGreaterThan(300_000);
    // The first two reads of the dump are cut off: after 100 kB, then after 150 kB more.
    const ranges: (string | undefined)[] = [];
    const cuts = [100_000, 150_000];
    const { restore, db } = await restoreVia(stack, (req) => {
      ranges.push(req.headers.range);
      const cutAfter = cuts.shift();
      return cutAfter === undefined ? "pass" : { cutAfter };
    });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await tableChecksums(db.url)).toEqual(sourceSums);
    expect(restore.stderr.match(/download interrupted after .* resuming from there/g)).toHaveLength(2);
    // Each retry asks only for what is missing, and from further on each time.
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const starts = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? "")?.[1]));
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[0]).toBeLessThanOrEqual(100_000);
    expect(starts[1]).toBeGreaterThan(starts[0] as number);
    expect(starts[1]).toBeLessThanOrEqual(250_000);
  });

  it("s3:// — a download that makes no progress gives up with a clear error, and restores nothing", async () => {
    const { stack } = await backedUpToS3("stall");
    let reads = 0;
    const { restore, db } = await restoreVia(stack, () => {
      reads++;
      return { cutAfter: 0 };
    });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(
      /downloading s3:\/\/.*dump\.pgc\.zst\.age failed 6 times in a row at byte 0 of \d+/,
    );
    expect(restore.stderr).toMatch(/HINT: check the network path to the store/);
    expect(reads).toBe(6);
    expect(await tableChecksums(db.url)).toEqual({});
  });

  it("s3:// — a store that ignores the resumed read's Range is refused clearly, not taken for tampering", async () => {
    const { stack } = await backedUpToS3("norange");
    let reads = 0;
    const { restore } = await restoreVia(stack, (req) => {
      if (reads++ === 0) return { cutAfter: 100_000 };
      delete req.headers.range; // the whole object comes back
      return "pass";
    });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/dump\.pgc\.zst\.age was sent whole when asked from byte \d+/);
    expect(restore.stderr).toMatch(/HINT: the store or a proxy in front of it ignores Range requests/);
    expect(restore.stderr).not.toMatch(/integrity check/);
    expect(reads).toBe(2);
  });

  it("s3:// — a download that goes silent is cut after the idle time and resumed", async () => {
    const { stack } = await backedUpToS3("silent");
    const ranges: (string | undefined)[] = [];
    const proxy = await faultProxy(s3Endpoint(), (req) => {
      if (req.method !== "GET" || !req.url?.includes("dump.pgc.zst.age")) return "pass";
      ranges.push(req.headers.range);
      return ranges.length === 1 ? { cutAfter: 100_000, stall: true } : "pass";
    });
    try {
      const store = new S3Store(stack.storeUrl, { endpoint: proxy.endpoint });
      const manifest = await readManifest(store, (await listBackupIds(store)).at(-1) as string);
      const resumes: ResumeInfo[] = [];
      const dir = await dirFor("rampart-fetch-silent-");
      const path = await fetchVerified(store, manifest, dir, {
        idleMs: 300,
        onResume: (r) => resumes.push(r),
      });
      expect((await stat(path)).size).toBe(manifest.storedBytes);
      expect(resumes).toHaveLength(1);
      expect(String(resumes[0]?.error)).toMatch(/no data for 0 s/);
      expect(ranges).toEqual([undefined, `bytes=${resumes[0]?.bytes}-`]);
      expect(resumes[0]?.bytes).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it("gs:// — rampart backup, then restoreBackup through the GCS store", async () => {
    const storeUrl = `gs://${await createGcsBucket("restore")}/postgres`;
    const stack = writeStackWithIdentity(await dirFor("rampart-restore-gs-"), { "backups.store": storeUrl });
    const backup = await runCli(["backup", "--stack", stack.file, "--json"], {
      DATABASE_URL: source.url,
      STORAGE_EMULATOR_HOST: gcsEndpoint(),
    });
    expect(backup.code, backup.stderr).toBe(0);
    const db = await target();
    // gcsClient() and STORAGE_EMULATOR_HOST do not mix in one process: give the emulator explicitly.
    await restoreBackup({
      store: new GcsStore(storeUrl, { apiEndpoint: gcsEndpoint() }),
      backup: "latest",
      identities: await readIdentityFile(stack.identityFile),
      target: resolveTarget(db.url),
      log,
    });
    expect(await tableChecksums(db.url)).toEqual(sourceSums);
  });
});
