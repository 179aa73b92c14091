// A backup either completes or fails loudly and leaves nothing: pg_dump killed mid-stream and an S3 that
// keeps failing both exit 1 with no manifest, no object and no incomplete multipart upload; S3 hiccups
// are retried through.

import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { ageKeyPair } from "../support/age.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { faultProxy } from "../support/fault-proxy.ts";
import {
  createS3Bucket,
  createTempDatabase,
  s3Client,
  s3Endpoint,
  type TempDatabase,
} from "../support/services.ts";
import { writeStack } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

let dir: string;
let recipient: string;
let db: TempDatabase;

beforeAll(async () => {
  dir = await tempDir("rampart-backup-fail-");
  recipient = (await ageKeyPair(dir)).recipient;
  db = await createTempDatabase("backup_fail");
  // ~60 MB of dump: more than the S3 upload buffers (4 parts × 8 MiB), so pg_dump is still writing
  // while parts are held.
  await loadSampleDatabase(db.url, { scale: 6 });
});
afterAll(async () => {
  await db?.drop();
});

const isUploadPart = (url: string | undefined) => /[?&]partNumber=/.test(url ?? "");

async function bucketState(bucket: string) {
  const s3 = s3Client();
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return { uploads: uploads.Uploads ?? [], objects: (objects.Contents ?? []).map((o) => o.Key) };
}

async function s3Stack(name: string): Promise<{ bucket: string; stack: string }> {
  const bucket = await createS3Bucket(name);
  // No compression: the dump's size reaches S3 as is, so it takes several multipart parts.
  const { file } = writeStack(dir, name, {
    "backups.store": `s3://${bucket}/pg`,
    "backups.recipients": [recipient],
    "backups.compression": { algorithm: "none" },
  });
  return { bucket, stack: file };
}

describe("failures leave nothing behind", () => {
  it("pg_dump killed mid-stream → exit 1, no manifest, multipart upload aborted", async () => {
    const { bucket, stack } = await s3Stack("killed");
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let partSeen = () => {};
    const firstPart = new Promise<void>((r) => {
      partSeen = r;
    });
    const proxy = await faultProxy(s3Endpoint(), (req) => {
      if (!isUploadPart(req.url)) return "pass";
      partSeen();
      return held;
    });
    try {
      let pid = 0;
      const run = runCli(
        ["backup", "--stack", stack, "--json"],
        { DATABASE_URL: db.url, AWS_ENDPOINT_URL_S3: proxy.endpoint },
        {
          onStderrLine: (line) => {
            if (line.includes('"stage":"dump"')) pid = (JSON.parse(line) as { pid: number }).pid;
          },
        },
      );
      await firstPart;
      // A multipart upload exists and pg_dump is blocked writing: kill it there.
      expect(pid).toBeGreaterThan(0);
      process.kill(pid, 0);
      process.kill(pid, "SIGKILL");
      release();
      const done = await run;
      expect(done.code).toBe(1);
      expect(done.stderr).toMatch(/backup failed: pg_dump was killed by SIGKILL/);
      expect(jsonResult<{ status: string }>(done).status).toBe("failed");
      expect(proxy.seen.some((s) => /^POST .*\?uploads/.test(s))).toBe(true);
      expect(await bucketState(bucket)).toEqual({ uploads: [], objects: [] });
    } finally {
      release();
      await proxy.close();
    }
  });

  it("an S3 that keeps failing → retried, then exit 1 with nothing left", async () => {
    const { bucket, stack } = await s3Stack("failing");
    const proxy = await faultProxy(s3Endpoint(), (req) =>
      isUploadPart(req.url)
        ? {
            status: 503,
            body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`,
          }
        : "pass",
    );
    try {
      const run = await runCli(["backup", "--stack", stack], {
        DATABASE_URL: db.url,
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/backup failed:/);
      expect(run.stderr).not.toMatch(/internal error/);
      const parts = proxy.seen.filter(isUploadPartLine);
      const partNumbers = new Set(parts.map((p) => /partNumber=(\d+)/.exec(p)?.[1]));
      // Each part was tried more than once before giving up.
      expect(parts.length).toBeGreaterThan(partNumbers.size);
      expect(await bucketState(bucket)).toEqual({ uploads: [], objects: [] });
    } finally {
      await proxy.close();
    }
  });

  it("transient S3 errors are retried through", async () => {
    const { bucket, stack } = await s3Stack("flaky");
    let failures = 0;
    const proxy = await faultProxy(s3Endpoint(), (req) => {
      if (isUploadPart(req.url) && failures < 2) {
        failures++;
        return { status: 500 };
      }
      return "pass";
    });
    try {
      const run = await runCli(["backup", "--stack", stack, "--json"], {
        DATABASE_URL: db.url,
        AWS_ENDPOINT_URL_S3: proxy.endpoint,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(failures).toBe(2);
      const { id } = jsonResult<{ id: string }>(run);
      const state = await bucketState(bucket);
      expect(state.uploads).toEqual([]);
      // compression "none": the name says so (no .zst).
      expect(state.objects.sort()).toEqual([`pg/${id}/dump.pgc.age`, `pg/${id}/manifest.json`]);
    } finally {
      await proxy.close();
    }
  });
});

const isUploadPartLine = (line: string) => line.startsWith("PUT ") && isUploadPart(line);
