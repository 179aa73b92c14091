// The docs' commands are executed by tests: a backup made by `rampart backup` to S3 (moto) is restored with
// the exact "Restore with stock tools only" block of BACKUP.md — aws s3 cp, sha256sum, age, zstd, pg_restore.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Manifest } from "../../scripts/lib/manifest.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { ageKeyPair } from "../support/age.ts";
import { jsonResult, ROOT, runCli } from "../support/cli.ts";
import { tableCounts } from "../support/db.ts";
import { createS3Bucket, createTempDatabase, s3Endpoint, type TempDatabase } from "../support/services.ts";
import { writeStack } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const execFileP = promisify(execFile);
const dbs: TempDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

/** The first ```sh block after `heading` in BACKUP.md. */
async function docBlock(heading: string): Promise<string> {
  const md = await readFile(join(ROOT, "BACKUP.md"), "utf8");
  const section = md.slice(md.indexOf(heading));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!section.startsWith(heading) || !m?.[1]) throw new Error(`BACKUP.md has no sh block under ${heading}`);
  return m[1];
}

let source: TempDatabase;
beforeAll(async () => {
  source = await createTempDatabase("interop_src");
  dbs.push(source);
  await loadSampleDatabase(source.url);
});

it("restores a rampart backup with the stock-tools commands from BACKUP.md", async () => {
  const dir = await tempDir("rampart-interop-");
  const key = await ageKeyPair(dir);
  const store = `s3://${await createS3Bucket("interop")}/postgres`;
  const stack = writeStack(dir, "interop", {
    "backups.store": store,
    "backups.recipients": [key.recipient],
  }).file;
  const run = await runCli(["backup", "--stack", stack, "--json"], {
    DATABASE_URL: source.url,
    AWS_ENDPOINT_URL_S3: s3Endpoint(),
  });
  expect(run.code, run.stderr).toBe(0);
  const { id, manifest } = jsonResult<{ id: string; manifest: Manifest }>(run);

  const target = await createTempDatabase("interop_dst");
  dbs.push(target);
  const script = await docBlock("## Restore with stock tools only");
  await execFileP("bash", ["-euo", "pipefail", "-c", script], {
    cwd: dir,
    env: {
      ...process.env,
      STORE: store,
      BACKUP_ID: id,
      KEY: key.keyFile,
      TARGET: target.url,
      AWS_ENDPOINT_URL_S3: s3Endpoint(),
    },
  });
  const restored = await tableCounts(target.url);
  expect(restored).toEqual(manifest.tables);
  expect(restored).toEqual(await tableCounts(source.url));
  // Not just counts: the data itself came back.
  const sum = async (url: string) => {
    const { stdout } = await execFileP("psql", [
      url,
      "-Atc",
      "select sum(total_cents), count(distinct customer_id) from invoices",
    ]);
    return stdout.trim();
  };
  expect(await sum(target.url)).toBe(await sum(source.url));
});
