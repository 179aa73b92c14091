// Streamed pg_dump archives lack data offsets; addDataOffsets must make one byte-identical (after the
// header's creation time) to the archive pg_dump writes to a seekable file of the same database.
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDataOffsets } from "../../scripts/lib/restore/archive-offsets.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { pgEnv, sql } from "../support/db.ts";
import { createTempDatabase, type TempDatabase } from "../support/services.ts";
import { tempDir } from "../support/temp.ts";

const execFileP = promisify(execFile);
let db: TempDatabase;
let dir: string;

beforeAll(async () => {
  dir = await tempDir("rampart-offsets-");
  db = await createTempDatabase("restore_offsets");
  await loadSampleDatabase(db.url);
  await sql(
    db.url,
    "select lo_from_bytea(0, 'small'), lo_from_bytea(0, convert_to(repeat('large ', 50000), 'UTF8'))",
  );
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Header: magic + 6 bytes, compression int, 7 creation-time ints (intSize 4 + sign byte each). */
const AFTER_CREATION_TIME = 5 + 6 + 5 + 7 * 5;

describe("addDataOffsets", () => {
  it("turns a streamed archive into the one pg_dump writes to a file, and is idempotent", async () => {
    const env = { ...process.env, ...pgEnv(db.url) };
    const file = join(dir, "file.pgc");
    const piped = join(dir, "piped.pgc");
    await execFileP("pg_dump", ["-Fc", "-Z0", "-f", file], { env });
    await execFileP("bash", ["-c", `pg_dump -Fc -Z0 | cat > "$OUT"`], { env: { ...env, OUT: piped } });
    const [before, want] = [await readFile(piped), await readFile(file)];
    expect(before.subarray(AFTER_CREATION_TIME).equals(want.subarray(AFTER_CREATION_TIME))).toBe(false);

    expect(await addDataOffsets(piped)).toBe("patched");
    const after = await readFile(piped);
    expect(after.length).toBe(want.length);
    expect(after.subarray(AFTER_CREATION_TIME).equals(want.subarray(AFTER_CREATION_TIME))).toBe(true);
    expect(await addDataOffsets(piped)).toBe("already");
    expect(await addDataOffsets(file)).toBe("already");
  });

  it("leaves anything that is not a custom-format archive alone", async () => {
    const plain = join(dir, "plain.sql");
    await execFileP("pg_dump", ["-Fp", "-s", "-f", plain], { env: { ...process.env, ...pgEnv(db.url) } });
    const original = await readFile(plain);
    expect(await addDataOffsets(plain)).toBe("unsupported");
    expect((await readFile(plain)).equals(original)).toBe(true);
  });
});
