// The test substrate itself: every service started by test/setup/services.ts
// accepts writes and returns them, and child processes see the same endpoints.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
} from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createTempDatabase,
  gcsClient,
  kmsClient,
  pgBin,
  pgUrl,
  s3Client,
  secretsManagerClient,
  type TempDatabase,
  uniqueName,
} from "../support/services.ts";

const execFileP = promisify(execFile);

describe("test services", () => {
  it("are on loopback and exported to child processes", async () => {
    for (const key of ["pgUrl", "s3Endpoint", "gcsEndpoint"] as const) {
      expect(new URL(inject(key)).hostname).toBe("127.0.0.1");
    }
    const { stdout } = await execFileP(process.execPath, [
      "-e",
      "console.log(JSON.stringify([process.env.RAMPART_TEST_PG_URL, process.env.RAMPART_TEST_PG_BIN, process.env.RAMPART_TEST_S3_ENDPOINT, process.env.RAMPART_TEST_GCS_ENDPOINT]))",
    ]);
    expect(JSON.parse(stdout)).toEqual([
      inject("pgUrl"),
      inject("pgBin"),
      inject("s3Endpoint"),
      inject("gcsEndpoint"),
    ]);
  });
});

describe("postgres", () => {
  let db: TempDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTempDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it("is PostgreSQL 15 with a postgres superuser", async () => {
    const { rows } = await client.query<{ v: string; su: string; db: string }>(
      "select current_setting('server_version_num') v, current_setting('is_superuser') su, current_database() db",
    );
    expect(rows[0]?.v).toMatch(/^15\d{4}$/);
    expect(rows[0]?.su).toBe("on");
    expect(rows[0]?.db).toBe(db.name);
  });

  it("creates a table, inserts and selects", async () => {
    await client.query("create table items (id serial primary key, name text not null, qty int not null)");
    await client.query("insert into items (name, qty) values ($1, $2), ($3, $4)", ["bolt", 7, "nut", 11]);
    const { rows } = await client.query<{ name: string; qty: number }>(
      "select name, qty from items order by id",
    );
    expect(rows).toEqual([
      { name: "bolt", qty: 7 },
      { name: "nut", qty: 11 },
    ]);
  });

  it("is reachable by the client binaries in RAMPART_TEST_PG_BIN", async () => {
    const { stdout } = await execFileP(join(pgBin(), "psql"), [
      db.url,
      "-X",
      "-A",
      "-t",
      "-c",
      "select sum(qty) from items",
    ]);
    expect(stdout.trim()).toBe("18");
  });

  it("drops temporary databases", async () => {
    const other = await createTempDatabase("rampart_drop");
    await other.drop();
    const admin = new pg.Client({ connectionString: pgUrl() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [other.name]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe("moto", () => {
  it("S3: object-lock bucket with versioning keeps every version", async () => {
    const s3 = s3Client();
    const Bucket = uniqueName("substrate");
    await s3.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));

    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket }));
    expect(versioning.Status).toBe("Enabled");
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket }));
    expect(lock.ObjectLockConfiguration?.ObjectLockEnabled).toBe("Enabled");

    const Key = "dir/hello.txt";
    const first = await s3.send(new PutObjectCommand({ Bucket, Key, Body: "first" }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key, Body: "second" }));
    expect(first.VersionId).toBeTruthy();
    expect(second.VersionId).toBeTruthy();
    expect(second.VersionId).not.toBe(first.VersionId);

    const latest = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await latest.Body?.transformToString()).toBe("second");
    const old = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId: first.VersionId }));
    expect(await old.Body?.transformToString()).toBe("first");

    // A plain delete only adds a delete marker; the versions stay.
    await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual(
      [first.VersionId, second.VersionId].sort(),
    );
    expect(versions.DeleteMarkers).toHaveLength(1);
    s3.destroy();
  });

  it("KMS: creates a key and round-trips a ciphertext", async () => {
    const kms = kmsClient();
    const created = await kms.send(new CreateKeyCommand({ Description: "rampart substrate test" }));
    const KeyId = created.KeyMetadata?.KeyId;
    expect(KeyId).toBeTruthy();
    const described = await kms.send(new DescribeKeyCommand({ KeyId }));
    expect(described.KeyMetadata?.KeyState).toBe("Enabled");

    const plaintext = new TextEncoder().encode("attack at dawn");
    const enc = await kms.send(new EncryptCommand({ KeyId, Plaintext: plaintext }));
    expect(enc.CiphertextBlob?.length).toBeGreaterThan(0);
    expect(Buffer.from(enc.CiphertextBlob ?? []).equals(Buffer.from(plaintext))).toBe(false);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(new TextDecoder().decode(dec.Plaintext)).toBe("attack at dawn");
    kms.destroy();
  });

  it("Secrets Manager: puts and gets secret versions", async () => {
    const sm = secretsManagerClient();
    const Name = uniqueName("rampart/substrate");
    const created = await sm.send(new CreateSecretCommand({ Name, SecretString: "v1" }));
    expect(created.ARN).toContain(Name);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe("v1");

    const put = await sm.send(new PutSecretValueCommand({ SecretId: Name, SecretString: "v2" }));
    expect(put.VersionId).toBeTruthy();
    expect((await sm.send(new GetSecretValueCommand({ SecretId: Name }))).SecretString).toBe("v2");
    const previous = await sm.send(
      new GetSecretValueCommand({ SecretId: Name, VersionStage: "AWSPREVIOUS" }),
    );
    expect(previous.SecretString).toBe("v1");
    sm.destroy();
  });
});

describe("fake-gcs-server", () => {
  it("creates a bucket, uploads and downloads (simple and resumable)", async () => {
    const storage = gcsClient();
    const name = uniqueName("substrate");
    const [bucket] = await storage.createBucket(name);
    expect(bucket.name).toBe(name);
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toContain(name);

    const simple = bucket.file("simple.txt");
    await simple.save("hello gcs", { resumable: false, contentType: "text/plain" });
    const [simpleBody] = await simple.download();
    expect(simpleBody.toString()).toBe("hello gcs");

    const payload = Buffer.alloc(512 * 1024, 7);
    const big = bucket.file("dir/resumable.bin");
    await big.save(payload, { resumable: true });
    const [bigBody] = await big.download();
    expect(bigBody.equals(payload)).toBe(true);

    const [files] = await bucket.getFiles();
    expect(files.map((f) => f.name).sort()).toEqual(["dir/resumable.bin", "simple.txt"]);
  });
});
