// `rampart backups list|prune` on a store holding 60 backups across 20 months, behind more than 1,000
// other objects (so the listing takes several pages), with one backup under S3 object lock.

import { createHash } from "node:crypto";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { dumpKey, type Manifest, manifestKey } from "../../scripts/lib/manifest.ts";
import { DEMO_RECIPIENT } from "../support/age.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { createS3Bucket, s3Client, s3Endpoint } from "../support/services.ts";
import { writeStack } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PREFIX = "pg/";

function manifestAt(time: Date, n: number): Manifest {
  const stamp = time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  const id = `${stamp}-shop-${n.toString(16).padStart(4, "0")}`;
  return {
    version: 1,
    id,
    stack: "retention",
    database: "shop",
    serverVersion: "15.8",
    pgDumpVersion: "15.8",
    snapshotTime: time.toISOString(),
    startedAt: time.toISOString(),
    finishedAt: new Date(time.getTime() + 60_000).toISOString(),
    object: dumpKey(id),
    rawBytes: 4096,
    storedBytes: 7,
    sha256: createHash("sha256").update("payload").digest("hex"),
    compression: { algorithm: "zstd", level: 3 },
    encryption: {
      format: "age-v1",
      recipients: [{ recipient: DEMO_RECIPIENT, fingerprint: "0000000000000000" }],
    },
    tables: { "public.invoices": n },
    tool: { name: "rampart", version: "0.1.0" },
  };
}

/** 12 backups in the last 2 days, 30 dailies, then one a month for 18 more months: 60. */
function fixture(now: Date): Manifest[] {
  const times: Date[] = [];
  for (let i = 0; i < 12; i++) times.push(new Date(now.getTime() - i * 4 * HOUR - HOUR));
  for (let d = 3; d < 33; d++) times.push(new Date(now.getTime() - d * DAY));
  for (let m = 2; m < 20; m++)
    times.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - m, 10, 4)));
  return times.map((t, i) => manifestAt(t, i));
}

const now = new Date();
const backups = fixture(now);
const oldest = backups.reduce((a, b) => (a.snapshotTime < b.snapshotTime ? a : b));
let bucket: string;
let stack: string;
const env = () => ({ AWS_ENDPOINT_URL_S3: s3Endpoint() });

async function keys(): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3Client().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: PREFIX, ContinuationToken: token }),
    );
    out.push(...(page.Contents ?? []).map((o) => (o.Key ?? "").slice(PREFIX.length)));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

beforeAll(async () => {
  const s3 = s3Client();
  bucket = await createS3Bucket("retention", { ObjectLockEnabledForBucket: true });
  const put = (Key: string, Body: string, lock = false) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: PREFIX + Key,
        Body,
        ...(lock
          ? { ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: new Date(Date.now() + DAY) }
          : {}),
      }),
    );
  // 1,050 unrelated objects that sort before the backups: a one-page listing would see no backup at all.
  const junk = Array.from({ length: 1050 }, (_, i) => `00-other/${String(i).padStart(5, "0")}`);
  for (let i = 0; i < junk.length; i += 50) await Promise.all(junk.slice(i, i + 50).map((k) => put(k, "x")));
  await Promise.all(
    backups.flatMap((m) => [
      put(m.object, "payload", m.id === oldest.id),
      put(manifestKey(m.id), JSON.stringify(m)),
    ]),
  );
  const dir = await tempDir("rampart-retention-");
  stack = writeStack(dir, "retention", {
    "backups.store": `s3://${bucket}/pg`,
    "backups.recipients": [DEMO_RECIPIENT],
    "backups.retention": { keepAllHours: 48, daily: 30, weekly: 0, monthly: 12 },
  }).file;
});

type PruneOut = {
  kept: { id: string; reasons: string[] }[];
  deleted: string[];
  refused: { id: string; reason: string }[];
};

describe("backups list and prune", () => {
  it("lists all 60 backups across listing pages", async () => {
    const run = await runCli(["backups", "list", "--stack", stack, "--json"], env());
    expect(run.code, run.stderr).toBe(0);
    const listed = jsonResult<{ backups: Manifest[] }>(run).backups;
    expect(listed.map((m) => m.id)).toEqual(
      [...backups].sort((a, b) => a.snapshotTime.localeCompare(b.snapshotTime)).map((m) => m.id),
    );
  });

  it("--dry-run plans GFS retention and deletes nothing", async () => {
    const before = await keys();
    const run = await runCli(["backups", "prune", "--stack", stack, "--dry-run", "--json"], env());
    expect(run.code, run.stderr).toBe(0);
    const out = jsonResult<PruneOut>(run);
    expect(out.kept.length + out.deleted.length).toBe(60);
    expect(await keys()).toEqual(before);
  });

  it("prunes by GFS, keeps the newest, reports the object-locked backup instead of crashing", async () => {
    const run = await runCli(["backups", "prune", "--stack", stack, "--json"], env());
    expect(run.code, run.stderr).toBe(0);
    const out = jsonResult<PruneOut>(run);
    const byId = new Map(backups.map((m) => [m.id, new Date(m.snapshotTime)]));
    const keptTimes = out.kept.map((k) => byId.get(k.id) as Date);
    // Everything from the last 48 h, the newest first of all.
    const recent = backups
      .filter((m) => now.getTime() - Date.parse(m.snapshotTime) < 48 * HOUR)
      .map((m) => m.id);
    expect(recent).toHaveLength(12);
    for (const id of recent) expect(out.kept.map((k) => k.id)).toContain(id);
    expect(out.kept[0]?.reasons).toContain("newest");
    // One backup for each of the 12 months (current included), none from before them.
    const months = new Set(keptTimes.map((t) => t.toISOString().slice(0, 7)));
    expect(months.size).toBe(12);
    const firstMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
    for (const t of keptTimes) expect(t.getTime()).toBeGreaterThanOrEqual(firstMonth.getTime());
    // The 7 monthlies older than that go (the locked oldest one is refused), plus dailies beyond 30 days
    // that are not their month's newest.
    expect(out.refused).toEqual([expect.objectContaining({ id: oldest.id, reason: "locked" })]);
    expect(out.deleted.length + out.refused.length).toBe(60 - out.kept.length);
    expect(out.deleted.length).toBeGreaterThanOrEqual(7);

    const left = await keys();
    for (const id of out.deleted) {
      expect(left).not.toContain(dumpKey(id));
      expect(left).not.toContain(manifestKey(id));
    }
    // The refused backup is still whole and still listed; the unrelated objects are untouched.
    expect(left).toContain(dumpKey(oldest.id));
    expect(left).toContain(manifestKey(oldest.id));
    expect(left.filter((k) => k.startsWith("00-other/"))).toHaveLength(1050);
    const list = jsonResult<{ backups: Manifest[] }>(
      await runCli(["backups", "list", "--stack", stack, "--json"], env()),
    );
    expect(list.backups.map((m) => m.id).sort()).toEqual([...out.kept.map((k) => k.id), oldest.id].sort());
  });
});
