// Restores start while the archive is still decoding (scripts/lib/restore/sectioned.ts). On a backup made by
// the real `rampart backup` (a piped pg_dump: no data offsets in its TOC): the data must come back exactly,
// the three sections must each have run, a failure in the middle of the data must stop the restore with
// pg_restore's own message, and --to-file must write an archive whose TOC points at every data block.
import { execFile } from "node:child_process";
import { type FileHandle, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, type Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readIdentityFile } from "../../scripts/lib/age.ts";
import type { Manifest } from "../../scripts/lib/manifest.ts";
import { ArchiveFile, type BlockInfo } from "../../scripts/lib/restore/archive-file.ts";
import {
  ArchiveScanner,
  BLK_BLOBS,
  BLK_DATA,
  OFFSET_SET,
  parseToc,
} from "../../scripts/lib/restore/archive-scan.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import { type RestoreRequest, restoreBackup } from "../../scripts/lib/restore/index.ts";
import { SectionedRestore } from "../../scripts/lib/restore/sectioned.ts";
import { loadSampleDatabase } from "../../scripts/lib/sample-db/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { cliBackup } from "../support/cli-backup.ts";
import { pgEnv, sql, tableChecksums } from "../support/db.ts";
import { capturedLog, silentLog } from "../support/log.ts";
import { type TempDatabase, tempDatabases } from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const execFileP = promisify(execFile);
let dir: string;
let stack: IdentityStack;
let source: TempDatabase;
let manifest: Manifest;
let identities: string[];
const temps = tempDatabases("rampart_streamed");
const emptyDb = () => temps.create();

const restore = (over: Partial<RestoreRequest>) =>
  restoreBackup({
    store: new FileStore(stack.storeUrl),
    backup: manifest.id,
    identities,
    log: silentLog(),
    jobs: 2,
    ...over,
  });

/** The source as a piped pg_dump writes it (as `rampart backup` runs it: no data offsets in the TOC), and
 * where its largest data block lies. */
async function dumpWithBlocks() {
  const { stdout: archive } = await execFileP("pg_dump", ["-Fc", "-Z0"], {
    env: { ...process.env, ...pgEnv(source.url) },
    encoding: "buffer",
    maxBuffer: 1 << 30,
  });
  const ends = new Map<number, number>();
  const starts: { dumpId: number; at: number }[] = [];
  const scan = new ArchiveScanner({
    toc() {},
    blockStart: (dumpId, at) => starts.push({ dumpId, at }),
    blockEnd: (id, end) => ends.set(id, end),
  });
  scan.push(archive);
  scan.end();
  const biggest = starts
    .map((b) => ({ dumpId: b.dumpId, at: b.at, end: ends.get(b.dumpId) as number }))
    .reduce((x, y) => (y.end - y.at > x.end - x.at ? y : x));
  return { archive, biggest };
}

/** Write to `sink` and wait until it took the bytes (the decoder's pace). */
const writeTo = (sink: Writable) => (b: Buffer) =>
  new Promise<void>((res, rej) => sink.write(b, (e) => (e ? rej(e) : res())));

const LARGE_OBJECTS = "select lo_get(oid) as data from pg_largeobject_metadata order by oid";

beforeAll(async () => {
  dir = await tempDir("rampart-streamed-");
  stack = writeStackWithIdentity(dir);
  source = await temps.create(); // dropped with the scratch databases
  await loadSampleDatabase(source.url);
  await sql(
    source.url,
    `select lo_from_bytea(0, convert_to(repeat('large ', 50000), 'UTF8'));
     grant select on customers to public;
     alter default privileges grant select on tables to public;`,
  );
  ({ manifest } = await cliBackup(stack, source.url));
  identities = await readIdentityFile(stack.identityFile);
});

afterAll(async () => {
  await temps.dropAll();
  await rm(dir, { recursive: true, force: true });
});

describe("restore while decoding", () => {
  it("runs pre-data, per-table data and parallel post-data, and restores the data exactly", async () => {
    const db = await emptyDb();
    const { lines, log } = capturedLog();
    await restore({ target: resolveTarget(db.url), log });
    expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
    expect((await sql(db.url, LARGE_OBJECTS)).rows).toEqual((await sql(source.url, LARGE_OBJECTS)).rows);
    // Privileges come last (with post-data), and all of them: the same ACLs and default ACLs.
    const ACLS = `select c.relname, c.relacl::text from pg_class c where c.relacl is not null
                    and c.relnamespace = 'public'::regnamespace
                  union all select 'default', d.defaclacl::text from pg_default_acl d order by 1`;
    const acls = (await sql(source.url, ACLS)).rows;
    expect(acls.length).toBeGreaterThan(1);
    expect((await sql(db.url, ACLS)).rows).toEqual(acls);
    // Every index and constraint, whether built early (beside the data) or in the final post-data run.
    const KEYS = `select indexdef as def from pg_indexes where schemaname = 'public'
                  union all select conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
                  from pg_constraint where connamespace = 'public'::regnamespace order by 1`;
    const keys = (await sql(source.url, KEYS)).rows;
    expect(keys.length).toBeGreaterThan(10);
    expect((await sql(db.url, KEYS)).rows).toEqual(keys);
    const ran = lines.join("\n");
    expect(ran).toMatch(/pg_restore pre-data: \d+ ms/);
    expect(ran).toMatch(/pg_restore indexes and keys of loaded tables \(\d+\) --jobs=\d: \d+ ms/);
    expect(ran).toMatch(/pg_restore data of \d+ table\(s\), (from the file|streamed)( \(.*\))?: \d+ ms/);
    expect(ran).toMatch(/pg_restore post-data --jobs=2: \d+ ms/);
    expect(ran).toContain("(started while decoding)");
  });

  it("streams a table's data to pg_restore straight from the decoder while its block is still arriving", async () => {
    const db = await emptyDb();
    await sql(
      source.url,
      "create table big_notes as select g as id, repeat(md5(g::text), 8) as note from generate_series(1, 20000) g",
    );
    try {
      const { archive, biggest } = await dumpWithBlocks();
      const cut = Math.floor((biggest.at + biggest.end) / 2);

      const { lines, log } = capturedLog();
      const file = new ArchiveFile(join(dir, "paced.pgc"));
      // The manifest's row counts make big_notes the first table to restore (largest first).
      const tables = { "public.big_notes": 20000, "public.customers": 3 };
      // One job: no other lane waits for the blocks behind big_notes, so the decoder is never released.
      const restoring = new SectionedRestore(file, dir, resolveTarget(db.url), { jobs: 1, tables }, log);
      const sink = file.writable();
      const write = writeTo(sink);
      await write(archive.subarray(0, cut));
      // Hold the rest back until pre-data is done: lanes have started, the biggest block is half on disk.
      let failed = false;
      restoring.done.catch(() => (failed = true));
      while (!failed && !lines.some((l) => l.includes("pg_restore pre-data")))
        await new Promise((r) => setTimeout(r, 10));
      await write(archive.subarray(cut));
      await new Promise<void>((res, rej) => sink.end(() => res()).on("error", rej));
      await restoring.done;
      await restoring.close();
      expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
      expect(lines.join("\n")).toMatch(
        /pg_restore data of 1 table\(s\), streamed \(\d+(\.\d+)? [KM]iB straight from the decoder\): \d+ ms/,
      );
      // What went straight to pg_restore never touched the disk: a hole, and the rest of the file as decoded.
      const onDisk = await readFile(file.path);
      expect(onDisk.length).toBe(archive.length);
      expect(onDisk.subarray(cut, biggest.end).every((byte) => byte === 0)).toBe(true);
      expect(archive.subarray(cut, biggest.end).some((byte) => byte !== 0)).toBe(true);
      expect(onDisk.subarray(biggest.end).equals(archive.subarray(biggest.end))).toBe(true);
    } finally {
      await sql(source.url, "drop table big_notes");
    }
  });

  it("loads tables on disk beside the one the decoder streams, then lets the decoder run ahead", async () => {
    const db = await emptyDb();
    // a_notes precedes big_notes in the archive (name order), the sample tables follow it.
    await sql(
      source.url,
      `create table a_notes as select g as id, md5(g::text) as note from generate_series(1, 5000) g;
       create table big_notes as select g as id, repeat(md5(g::text), 8) as note from generate_series(1, 20000) g`,
    );
    try {
      const { archive, biggest } = await dumpWithBlocks();
      const cut = Math.floor((biggest.at + biggest.end) / 2);
      const { lines, log } = capturedLog();
      const file = new ArchiveFile(join(dir, "beside.pgc"));
      const tables = { "public.big_notes": 20000, "public.a_notes": 5000 };
      const restoring = new SectionedRestore(file, dir, resolveTarget(db.url), { jobs: 2, tables }, log);
      let failed = false;
      restoring.done.catch(() => (failed = true));
      const sink = file.writable();
      const write = writeTo(sink);
      await write(archive.subarray(0, cut));
      // The rest is held back: a_notes can only load now if a second lane runs while big_notes streams
      // (without that, it would wait for the end of decoding, which never comes here).
      for (
        let i = 0;
        i < 1000 && !failed && !lines.some((l) => /data of \d+ table\(s\), from the file/.test(l));
        i++
      )
        await new Promise((r) => setTimeout(r, 10));
      expect(lines.join("\n")).toMatch(/data of \d+ table\(s\), from the file/);
      // That lane is free and what it would load next is behind big_notes: the decoder is released.
      expect(file.streamingDirect).toBe(false);
      await write(archive.subarray(cut));
      await new Promise<void>((res, rej) => sink.end(() => res()).on("error", rej));
      await restoring.done;
      await restoring.close();
      expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
    } finally {
      await sql(source.url, "drop table a_notes, big_notes");
    }
  });

  it("hands a block from the decoder to its feed, and back to the disk when released", async () => {
    await sql(
      source.url,
      "create table big_notes as select g as id, repeat(md5(g::text), 8) as note from generate_series(1, 20000) g",
    );
    const { archive, biggest } = await dumpWithBlocks();
    await sql(source.url, "drop table big_notes");
    const [cut, cut2] = [biggest.at + 1000, Math.floor((biggest.at + biggest.end) / 2)];
    const file = new ArchiveFile(join(dir, "direct.pgc"));
    const fed: Buffer[] = [];
    // A copy: the feed reuses its read buffer once the pipe took it, as a child's stdin does.
    const out = new PassThrough().on("data", (b: Buffer) => fed.push(Buffer.from(b)));
    let feeding: Promise<void> | null = null;
    file.on("block", (b: BlockInfo) => {
      if (b.dumpId !== biggest.dumpId) return;
      const direct = file.streamDirect(b);
      expect(direct).not.toBeNull();
      expect(file.streamDirect(b)).toBeNull(); // one at a time
      feeding = file.feed(out, [b]);
    });
    const sink = file.writable();
    const write = writeTo(sink);
    await write(archive.subarray(0, cut));
    expect(feeding).not.toBeNull();
    expect(file.streamingDirect).toBe(true);
    await write(archive.subarray(cut, cut2)); // waits for the feed to attach, then goes through it
    file.releaseDirect();
    expect(file.streamingDirect).toBe(false);
    for (let at = cut2; at < archive.length; at += 4096) await write(archive.subarray(at, at + 4096));
    await new Promise<void>((res, rej) => sink.end(() => res()).on("error", rej));
    await feeding;
    await file.release();
    await new Promise((r) => out.end(r));
    // The feed got exactly what pg_restore reads from a pipe: header and TOC, then the block.
    const prefix = file.tocPrefix as Buffer;
    expect(
      Buffer.concat(fed).equals(Buffer.concat([prefix, archive.subarray(biggest.at, biggest.end)])),
    ).toBe(true);
    const onDisk = await readFile(file.path);
    expect(onDisk.subarray(cut, cut2).every((byte) => byte === 0)).toBe(true);
    expect(onDisk.subarray(prefix.length, cut).equals(archive.subarray(prefix.length, cut))).toBe(true);
    expect(onDisk.subarray(cut2).equals(archive.subarray(cut2))).toBe(true);
  });

  it("gives a feed that catches up during a slow disk write that chunk too", async () => {
    const { archive, biggest } = await dumpWithBlocks();
    const file = new ArchiveFile(join(dir, "slow-disk.pgc"));
    const sink = file.writable();
    const write = writeTo(sink);
    const cut = biggest.at + 1000;
    await write(archive.subarray(0, cut));
    const block = file.blocks.get(biggest.dumpId) as BlockInfo;
    expect(block.end).toBeNull();
    // A slow disk (fault injection on the file's own handle): the next chunk takes 200 ms to write.
    const fh = (file as unknown as { fh: FileHandle }).fh;
    const write0 = fh.write.bind(fh) as (...a: unknown[]) => Promise<unknown>;
    (fh as unknown as { write: unknown }).write = async (...a: unknown[]) => {
      await new Promise((r) => setTimeout(r, 200));
      return write0(...a);
    };
    const slow = write(archive.subarray(cut, cut + 5000));
    await new Promise((r) => setTimeout(r, 20));
    // A lane frees up mid-write: the scheduler hands the block being decoded to a new feed.
    expect(file.streamDirect(block)).not.toBeNull();
    const fed: Buffer[] = [];
    const out = new PassThrough().on("data", (b: Buffer) => fed.push(Buffer.from(b)));
    const feeding = file.feed(out, [block]);
    await slow;
    (fh as unknown as { write: unknown }).write = write0;
    for (let at = cut + 5000; at < archive.length; at += 65536) await write(archive.subarray(at, at + 65536));
    await new Promise<void>((res, rej) => sink.end(() => res()).on("error", rej));
    await feeding;
    await file.release();
    await new Promise((r) => out.end(r));
    const expected = Buffer.concat([file.tocPrefix as Buffer, archive.subarray(biggest.at, biggest.end)]);
    expect(Buffer.concat(fed).length).toBe(expected.length);
    expect(Buffer.concat(fed).equals(expected)).toBe(true);
  });

  it("does not hold the decoder when a restore stops before its feed took the block", async () => {
    const { archive, biggest } = await dumpWithBlocks();
    const file = new ArchiveFile(join(dir, "stopped.pgc"));
    file.on("block", (b: BlockInfo) => {
      if (b.dumpId === biggest.dumpId) expect(file.streamDirect(b)).not.toBeNull();
    });
    const sink = file.writable();
    const write = writeTo(sink);
    const cut = biggest.at + 100;
    await write(archive.subarray(0, cut));
    const rest = write(archive.subarray(cut)); // waits: no feed has attached
    file.stop();
    await rest;
    await new Promise<void>((res, rej) => sink.end(() => res()).on("error", rej));
    expect((await readFile(file.path)).subarray(cut).equals(archive.subarray(cut))).toBe(true);
  });

  it("stops at the first failing table with pg_restore's own message", async () => {
    const db = await emptyDb();
    // Every table the restore creates gets a constraint no row satisfies: the data section fails.
    await sql(
      db.url,
      `create function reject_rows() returns event_trigger language plpgsql as $$
       declare r record;
       begin
         for r in select * from pg_event_trigger_ddl_commands() where object_type = 'table' loop
           execute format('alter table %s add constraint rejects_every_row check (false) not valid', r.object_identity);
         end loop;
       end $$;
       create event trigger reject_rows on ddl_command_end when tag in ('CREATE TABLE') execute function reject_rows();`,
    );
    await expect(restore({ target: resolveTarget(db.url) })).rejects.toThrow(
      /pg_restore failed[\s\S]*rejects_every_row/,
    );
  });

  it("--to-file writes the TOC's data offsets while decoding: each points at its entry's block", async () => {
    const file = join(dir, "out.pgc");
    await restore({ toFile: file });
    const archive = await readFile(file);
    const toc = parseToc(archive);
    if (!toc) throw new Error("no TOC");
    const withData = toc.entries.filter((e) => e.hadDumper);
    expect(withData.length).toBeGreaterThan(3);
    for (const e of withData) {
      expect(archive[e.offsetAt]).toBe(OFFSET_SET);
      const offset = Number(archive.readBigUInt64LE(e.offsetAt + 1)); // offSize 8
      expect([BLK_DATA, BLK_BLOBS]).toContain(archive[offset]);
      expect(archive[offset + 1]).toBe(0); // sign
      expect(archive.readUInt32LE(offset + 2)).toBe(e.dumpId);
    }
    const { stdout } = await execFileP("pg_restore", ["-l", file], {
      env: { ...process.env, ...pgEnv(source.url) },
    });
    expect(stdout).toContain("TABLE DATA");
  });

  it("writes the offsets of an archive so small its TOC is only found at its end", async () => {
    const tiny = await emptyDb();
    await sql(tiny.url, "create table t (x int); insert into t values (1)");
    const { stdout: archive } = await execFileP("pg_dump", ["-Fc", "-Z0"], {
      env: { ...process.env, ...pgEnv(tiny.url) },
      encoding: "buffer",
    });
    expect(archive.length).toBeLessThan(4096); // ArchiveScanner's first try at the TOC
    const file = new ArchiveFile(join(dir, "tiny.pgc"));
    const w = file.writable();
    await new Promise<void>((res, rej) => w.end(archive, () => res()).on("error", rej));
    const toc = parseToc(await readFile(file.path));
    const data = toc?.entries.filter((e) => e.hadDumper) ?? [];
    expect(data.length).toBe(1);
    expect(data.every((e) => e.offsetFlag === OFFSET_SET)).toBe(true);
  });

  it("follows the archive the same whatever the read sizes, and refuses what is not an archive", async () => {
    const file = join(dir, "out.pgc");
    const archive = await readFile(file);
    const scan = (step: number) => {
      const ends: number[] = [];
      const starts: { dumpId: number; at: number }[] = [];
      const s = new ArchiveScanner({
        toc() {},
        blockStart: (dumpId, at) => starts.push({ dumpId, at }),
        blockEnd: (_id, end) => ends.push(end),
      });
      for (let i = 0; i < archive.length; i += step) s.push(archive.subarray(i, i + step));
      s.end();
      return { starts, ends };
    };
    const whole = scan(archive.length);
    expect(whole.ends.at(-1)).toBe(archive.length);
    for (const step of [1, 3, 7, 4096]) expect(scan(step)).toEqual(whole);

    const plain = new ArchiveFile(join(dir, "plain.sql"));
    const w = plain.writable();
    await new Promise<void>((res, rej) =>
      w.end(Buffer.from("select 1;\n".repeat(1000)), () => res()).on("error", rej),
    );
    expect(plain.scanError?.message).toMatch(/not a pg_dump archive/);
    expect((await readFile(plain.path)).length).toBe(10_000);
  });
});
