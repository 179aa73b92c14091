import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../posture/errors.ts";
import { encryptStream, generateIdentity } from "../../scripts/lib/age.ts";
import { EvidenceLog } from "../../scripts/lib/evidence.ts";
import { type Manifest, manifestKey } from "../../scripts/lib/manifest.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import { type RestoreRequest, restoreBackup } from "../../scripts/lib/restore/index.ts";
import { inspectTarget } from "../../scripts/lib/restore/target.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { demoIdentity } from "../support/age.ts";
import { jsonResult, runCli } from "../support/cli.ts";
import { tableChecksums, tableCounts } from "../support/db.ts";
import { silentLog } from "../support/log.ts";
import { type TempDatabase, tempDatabases } from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";
import { stockBackup } from "./restore-fixture.ts";

const execFileP = promisify(execFile);
const log = silentLog();

let dir: string;
let stack: IdentityStack;
let store: FileStore;
let source: TempDatabase;
let manifest: Manifest;
let identities: string[];
const temps = tempDatabases("rampart_restore");
const emptyDb = () => temps.create();

const restore = (over: Partial<RestoreRequest>) =>
  restoreBackup({ store, backup: manifest.id, identities, log, jobs: 2, ...over });

beforeAll(async () => {
  dir = await tempDir("rampart-restore-test-");
  stack = writeStackWithIdentity(dir);
  store = new FileStore(stack.storeUrl);
  source = await temps.create(); // dropped with the scratch databases
  await loadSampleDatabase(source.url);
  manifest = await stockBackup(store, source.url);
  identities = [await demoIdentity()];
});

afterAll(async () => {
  await temps.dropAll();
  await rm(dir, { recursive: true, force: true });
});

describe("rampart restore (file store)", () => {
  it("restores data equal to the source, table by table", async () => {
    const target = await emptyDb();
    const result = await restore({ target: resolveTarget(target.url) });
    expect(result.manifest.id).toBe(manifest.id);
    expect(await tableCounts(target.url)).toEqual(manifest.tables);
    expect(await tableChecksums(target.url)).toEqual(await tableChecksums(source.url));
    expect(Object.keys(manifest.tables)).toContain("public.invoice_lines");
  });

  it("refuses a stored object with one flipped byte before anything is decrypted or restored", async () => {
    const target = await emptyDb();
    const path = join(fileURLToPath(stack.storeUrl), manifest.object);
    const original = await readFile(path);
    const tampered = Buffer.from(original);
    const at = Math.floor(tampered.length / 2);
    tampered[at] = (tampered[at] ?? 0) ^ 0x01;
    await writeFile(path, tampered);
    try {
      await expect(restore({ target: resolveTarget(target.url) })).rejects.toThrow(
        /failed its integrity check/,
      );
    } finally {
      await writeFile(path, original);
    }
    // pg_restore never ran: the target is still empty.
    expect((await inspectTarget(resolveTarget(target.url))).relations).toBe(0);
  });

  it("says which backup does not decompress, and what to do, when its plaintext is not zstd", async () => {
    const target = await emptyDb();
    const path = join(fileURLToPath(stack.storeUrl), manifest.object);
    const manifestPath = join(fileURLToPath(stack.storeUrl), manifestKey(manifest.id));
    const [original, originalManifest] = await Promise.all([readFile(path), readFile(manifestPath)]);
    // Authentic ciphertext and a matching sha256, but the plaintext is not a zstd stream.
    const recipients = manifest.encryption.recipients.map((r) => r.recipient);
    const bad = await buffer(
      Readable.from([Buffer.from("not a zstd frame")]).pipe(await encryptStream(recipients)),
    );
    await writeFile(path, bad);
    await writeFile(
      manifestPath,
      JSON.stringify({
        ...manifest,
        storedBytes: bad.length,
        sha256: createHash("sha256").update(bad).digest("hex"),
      }),
    );
    try {
      const err = await restore({ target: resolveTarget(target.url) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toBe(
        `backup ${manifest.id} does not decompress (zstd: Unknown frame descriptor)`,
      );
      expect((err as UserError).hints.join("\n")).toMatch(/restore the previous backup/);
    } finally {
      await writeFile(path, original);
      await writeFile(manifestPath, originalManifest);
    }
  });

  it("says clearly when the identity does not match the backup's recipients", async () => {
    const target = await emptyDb();
    const err = await restore({
      target: resolveTarget(target.url),
      identities: [await generateIdentity()],
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/age identity does not match/);
    expect((await inspectTarget(resolveTarget(target.url))).relations).toBe(0);
  });

  it("refuses a non-empty target unless --clean, and the source itself unless --force-source", async () => {
    const target = await emptyDb();
    await restore({ target: resolveTarget(target.url) });
    await expect(restore({ target: resolveTarget(target.url) })).rejects.toThrow(/it is not empty/);
    await restore({ target: resolveTarget(target.url), clean: true });
    expect(await tableCounts(target.url)).toEqual(manifest.tables);

    await expect(restore({ target: resolveTarget(source.url), clean: true })).rejects.toThrow(
      /looks like the backup's own source/,
    );
    await restore({ target: resolveTarget(source.url), clean: true, forceSource: true });
    expect(await tableCounts(source.url)).toEqual(manifest.tables);
  });

  it("--to-file writes a pg_dump archive pg_restore can list", async () => {
    const file = join(dir, "inspect.pgc");
    await restore({ toFile: file });
    const { stdout } = await execFileP("pg_restore", ["--list", file]);
    expect(stdout).toMatch(/TABLE DATA public invoice_lines/);
  });

  it("records every restore, and a failed attempt, as evidence", async () => {
    const target = await emptyDb();
    const env = { RAMPART_AGE_IDENTITY_FILE: stack.identityFile };
    const ok = await runCli(["restore", "--stack", stack.file, "--target", target.url, "--json"], env);
    expect(jsonResult(ok)).toMatchObject({ status: "restored", backup: manifest.id });
    const failed = await runCli(["restore", "--stack", stack.file, "--target", target.url], env);
    expect(failed).toMatchObject({ code: 1 });
    expect(failed.stderr).toMatch(/not empty/);

    const events = await (await EvidenceLog.open(stack.evidenceUrl)).list("restores");
    expect(events.map((e) => e.outcome)).toEqual(["restored", "failed"]);
    expect(events[0]).toMatchObject({ backup: manifest.id, targetServer: { database: target.name } });
    expect(String(events[0]?.actor)).toMatch(/@/);
  });
});
