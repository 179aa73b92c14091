// Typed accessors for the services started by test/setup/services.ts. Only
// usable from tests of the `integration` project.

import { randomBytes } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, type CreateBucketCommandInput, S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Storage } from "@google-cloud/storage";
import pg from "pg";
import { inject } from "vitest";

type Key = "pgUrl" | "pgBin" | "s3Endpoint" | "gcsEndpoint";

const ENV: Record<Key, string> = {
  pgUrl: "RAMPART_TEST_PG_URL",
  pgBin: "RAMPART_TEST_PG_BIN",
  s3Endpoint: "RAMPART_TEST_S3_ENDPOINT",
  gcsEndpoint: "RAMPART_TEST_GCS_ENDPOINT",
};

function value(key: Key): string {
  const v = inject(key) ?? process.env[ENV[key]];
  if (!v) {
    throw new Error(
      `${key} is not set: the test services run only for the vitest "integration" project ` +
        "(test/integration/**, globalSetup test/setup/services.ts)",
    );
  }
  return v;
}

export const pgUrl = (): string => value("pgUrl");
export const pgBin = (): string => value("pgBin");
export const s3Endpoint = (): string => value("s3Endpoint");
export const gcsEndpoint = (): string => value("gcsEndpoint");

export const AWS_REGION = "us-east-1";

/** Shared AWS SDK v3 client config for moto. */
export function awsConfig() {
  return {
    endpoint: s3Endpoint(),
    region: AWS_REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
}

export function s3Client(): S3Client {
  return new S3Client({ ...awsConfig(), forcePathStyle: true });
}

export function kmsClient(): KMSClient {
  return new KMSClient(awsConfig());
}

export function secretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient(awsConfig());
}

export function gcsClient(): Storage {
  return new Storage({ apiEndpoint: gcsEndpoint(), projectId: "test" });
}

/** A short random suffix for bucket, database and object names. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/** A new, uniquely named bucket on moto; returns its name. */
export async function createS3Bucket(
  prefix: string,
  options: Omit<CreateBucketCommandInput, "Bucket"> = {},
): Promise<string> {
  const Bucket = uniqueName(prefix);
  await s3Client().send(new CreateBucketCommand({ ...options, Bucket }));
  return Bucket;
}

/** A new, uniquely named bucket on fake-gcs-server; returns its name. */
export async function createGcsBucket(prefix: string): Promise<string> {
  const bucket = uniqueName(prefix);
  await gcsClient().createBucket(bucket);
  return bucket;
}

export interface TempDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates a uniquely named database on the test cluster. */
export async function createTempDatabase(prefix = "rampart_test"): Promise<TempDatabase> {
  const name = uniqueName(prefix).replaceAll("-", "_").toLowerCase();
  const admin = new pg.Client({ connectionString: pgUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      const client = new pg.Client({ connectionString: pgUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        dropped = true;
      } finally {
        await client.end();
      }
    },
  };
}

/** Databases a test file creates as it goes; dropAll (in afterAll) drops every one. */
export function tempDatabases(prefix: string): { create(): Promise<TempDatabase>; dropAll(): Promise<void> } {
  const made: TempDatabase[] = [];
  return {
    async create() {
      const db = await createTempDatabase(prefix);
      made.push(db);
      return db;
    },
    async dropAll() {
      for (const db of made) await db.drop();
    },
  };
}
