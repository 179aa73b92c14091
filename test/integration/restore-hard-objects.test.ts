// A database full of the objects restores get wrong: it must come back exactly — same schema, same data,
// same sequence positions, same large objects — as pg_dump sees it on both sides.
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readIdentityFile } from "../../scripts/lib/age.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import { restoreBackup } from "../../scripts/lib/restore/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { pgEnv, sql, tableChecksums } from "../support/db.ts";
import { HARD_SCHEMA } from "../support/hard-schema.ts";
import { silentLog } from "../support/log.ts";
import { createTempDatabase, type TempDatabase } from "../support/services.ts";
import { writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";
import { stockBackup } from "./restore-fixture.ts";

const execFileP = promisify(execFile);
const log = silentLog();

let dir: string;
let source: TempDatabase;
let target: TempDatabase;

/** Plain pg_dump of everything (schema, data, sequences, large objects), minus per-run \restrict tokens. */
async function dumpText(url: string): Promise<string> {
  const { stdout } = await execFileP("pg_dump", ["--no-owner", "--format=plain"], {
    env: { ...process.env, ...pgEnv(url) },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout
    .split("\n")
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .join("\n");
}

beforeAll(async () => {
  dir = await tempDir("rampart-hard-");
  source = await createTempDatabase("restore_hard_src");
  target = await createTempDatabase("restore_hard_dst");
  await sql(source.url, HARD_SCHEMA);
});
afterAll(async () => {
  await source?.drop();
  await target?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("restore of hard objects", () => {
  it("brings back extensions, enums, domains, partitions, generated columns, sequences, matviews, triggers, RLS, large objects and odd names exactly", async () => {
    const stack = writeStackWithIdentity(dir);
    const store = new FileStore(stack.storeUrl);
    const manifest = await stockBackup(store, source.url);
    expect(Object.keys(manifest.tables)).toContain(`"Ünïcode Schema"."Weird ""Table"". name"`);
    await restoreBackup({
      store,
      backup: manifest.id,
      identities: await readIdentityFile(stack.identityFile),
      target: resolveTarget(target.url),
      log,
    });
    expect(await dumpText(target.url)).toBe(await dumpText(source.url));
    expect(await tableChecksums(target.url)).toEqual(await tableChecksums(source.url));

    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      const one = async (sql: string) => Object.values((await client.query(sql)).rows[0] ?? {})[0];
      expect(await one("select last_value::text from invoice_numbers")).toBe("9000000000000000123");
      expect(await one("select nextval(pg_get_serial_sequence('measurements', 'id'))::text")).toBe(
        "8000000000000000001",
      );
      expect(await one(`select sum(doubled)::int from "Ünïcode Schema"."Weird ""Table"". name"`)).toBe(
        250500,
      );
      expect(await one("select count(*)::int from audit_log")).toBe(3);
      expect(await one("select sum(n)::int from measurement_months")).toBe(3000);
      expect(
        await one(
          "select relrowsecurity and relforcerowsecurity from pg_class where relname = 'tenant_notes'",
        ),
      ).toBe(true);
      expect(await one("select length(lo_get(body)) from documents where id = 5")).toBe(
        Buffer.byteLength("large object 5 ".repeat(2000)),
      );
      await client.query(
        `update "Ünïcode Schema"."Weird ""Table"". name" set feeling = 'sad' where "Größe" = 10`,
      );
      expect(await one("select count(*)::int from audit_log")).toBe(4);
    } finally {
      await client.end();
    }
  });
});
