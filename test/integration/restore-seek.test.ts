// The backup's seek index (scripts/lib/backup/seek-index.ts) and the restore that uses it to decode the
// largest table ahead of the rest (ahead-block.ts, seek-decode.ts). pg_dump writes tables in name order,
// so the largest table here is named to come last. The index must point at the real blocks and frames
// (checked against the stock `age` and `zstd`), the restore must bring the data back exactly, a backup
// without an index must restore as before, and an index that does not match its archive must fail clearly.
import { execFile } from "node:child_process";
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../posture/errors.ts";
import { readIdentityFile } from "../../scripts/lib/age.ts";
import { SeekIndexer } from "../../scripts/lib/backup/seek-index.ts";
import { createLogger } from "../../scripts/lib/log.ts";
import { type Manifest, manifestKey } from "../../scripts/lib/manifest.ts";
import { formatBytes } from "../../scripts/lib/output.ts";
import { ArchiveScanner, parseToc } from "../../scripts/lib/restore/archive-scan.ts";
import { resolveTarget } from "../../scripts/lib/restore/connection.ts";
import { type RestoreRequest, restoreBackup } from "../../scripts/lib/restore/index.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { cliBackup } from "../support/cli-backup.ts";
import { sql, tableChecksums } from "../support/db.ts";
import { capturedLog } from "../support/log.ts";
import { createTempDatabase, type TempDatabase, tempDatabases } from "../support/services.ts";
import { type IdentityStack, writeStackWithIdentity } from "../support/stacks.ts";
import { tempDir } from "../support/temp.ts";

const execFileP = promisify(execFile);
let dir: string;
let stack: IdentityStack;
let store: FileStore;
let source: TempDatabase;
let manifest: Manifest;
let identities: string[];
const temps = tempDatabases("rampart_seek");

const restore = (over: Partial<RestoreRequest>) =>
  restoreBackup({ store, backup: manifest.id, identities, jobs: 2, log: capturedLog().log, ...over });

/** The stored object through the stock tools: the compressed stream (age -d), and the archive (zstd -d). */
async function stockDecoded(): Promise<{ compressed: Buffer; archive: Buffer }> {
  const object = join(store.root, manifest.object);
  const opts = { encoding: "buffer" as const, maxBuffer: 1 << 30 };
  const { stdout: compressed } = await execFileP("age", ["-d", "-i", stack.identityFile, object], opts);
  const { stdout: archive } = await execFileP(
    "bash",
    ["-o", "pipefail", "-c", 'age -d -i "$1" "$2" | zstd -d', "-", stack.identityFile, object],
    opts,
  );
  return { compressed, archive };
}

/** A copy of the store whose manifest `edit` changed (as an older rampart, or a damaged file, wrote it). */
async function storeWith(name: string, edit: (m: Manifest) => void): Promise<FileStore> {
  const root = join(dir, name);
  await cp(store.root, root, { recursive: true });
  const copy = structuredClone(manifest);
  edit(copy);
  await writeFile(join(root, manifestKey(manifest.id)), JSON.stringify(copy));
  return new FileStore(`file://${root}`);
}

beforeAll(async () => {
  dir = await tempDir("rampart-seek-");
  stack = writeStackWithIdentity(dir);
  store = new FileStore(stack.storeUrl);
  source = await temps.create(); // dropped with the scratch databases
  // ~24 MB in the last table by name (a dozen 2 MiB frames), two small ones before it.
  await sql(
    source.url,
    `create table accounts (id int primary key, name text);
     insert into accounts select g, 'name ' || g from generate_series(1, 2000) g;
     create table notes (id int primary key, body text);
     insert into notes select g, repeat('note ', 50) from generate_series(1, 5000) g;
     create table zz_events (id bigint primary key, kind text, payload text);
     insert into zz_events select g, 'kind' || (g % 7), md5(g::text) || repeat(md5((g * 7)::text), 5)
       from generate_series(1, 120000) g;
     create index on zz_events (kind);`,
  );
  ({ manifest } = await cliBackup(stack, source.url));
  identities = await readIdentityFile(stack.identityFile);
});

afterAll(async () => {
  await temps.dropAll();
  await rm(dir, { recursive: true, force: true });
});

describe("seek index", () => {
  it("records where the largest tables' data blocks lie, and frames that decode from there", async () => {
    const { compressed, archive } = await stockDecoded();
    const toc = parseToc(archive);
    const blocks = new Map<number, { at: number; end: number }>();
    const scanner = new ArchiveScanner({
      toc() {},
      blockStart: (id, at) => blocks.set(id, { at, end: -1 }),
      blockEnd: (id, end) => {
        (blocks.get(id) as { end: number }).end = end;
      },
    });
    scanner.push(archive);
    scanner.end();
    const index = manifest.seek?.blocks ?? [];
    expect(index.length).toBe(blocks.size);
    const sizes = index.map((b) => b.end - b.at);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    const largest = index[0] as NonNullable<typeof index>[number];
    expect(toc?.entries.find((e) => e.dumpId === largest.dumpId)?.tag).toBe("zz_events");
    for (const b of index) {
      expect(blocks.get(b.dumpId)).toEqual({ at: b.at, end: b.end });
      expect(b.from.raw).toBeLessThanOrEqual(b.at);
      expect(b.at - b.from.raw).toBeLessThan(2 << 20);
      expect(b.resume.raw).toBeLessThanOrEqual(b.end);
      expect(b.end - b.resume.raw).toBeLessThan(2 << 20);
    }
    // Each recorded frame starts where it says: the stock zstd, from there on, gives the archive from there on.
    for (const f of [largest.from, largest.resume]) {
      if (f.compressed === compressed.length) {
        expect(f.raw).toBe(archive.length); // the block ends the archive: resume at its end
        continue;
      }
      const rest = compressed.subarray(f.compressed);
      expect(rest.readUInt32LE(0)).toBe(0xfd2fb528);
      const decoded = await zstdOf(rest);
      expect(decoded.equals(archive.subarray(f.raw))).toBe(true);
    }
  });

  it("lets the restore decode the largest table ahead of the rest, with the data exactly the source's", async () => {
    const db = await temps.create();
    const { text, log } = capturedLog();
    await restore({ target: resolveTarget(db.url), log });
    expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
    const INDEXES = "select indexdef from pg_indexes where schemaname = 'public' order by 1";
    expect((await sql(db.url, INDEXES)).rows).toEqual((await sql(source.url, INDEXES)).rows);
    const largest = manifest.seek?.blocks[0] as { at: number; end: number };
    expect(text()).toContain("ahead of the rest (seek index)");
    expect(text()).toMatch(/pg_restore data of the largest table, decoded ahead \([\d.]+ MiB\): \d+ ms/);
    expect(largest.end - largest.at).toBeGreaterThan(20 << 20);
  });

  it("shows progress at a terminal: bytes decoded by both decoders, tables loaded, then post-data", async () => {
    const db = await temps.create();
    const writes: string[] = [];
    const tty = { isTTY: true, write: (s: string) => writes.push(s) } as unknown as NodeJS.WritableStream;
    await restore({ target: resolveTarget(db.url), log: createLogger({ stream: tty }), progressMs: 1 });
    const UNITS: Record<string, number> = { B: 1, KiB: 1 << 10, MiB: 1 << 20, GiB: 1 << 30 };
    const lines = writes
      .map((w) => w.replace("\r\x1b[K", ""))
      .filter((l) => l.startsWith("decoded "))
      .map((l) => {
        const m =
          /^decoded ([\d.]+) (\w+) \/ ([\d.]+ \w+)(?:, [^;]+)?(?:; table data (\d+)\/(\d+) loaded)?/.exec(l);
        if (!m) throw new Error(`unexpected progress line: ${l}`);
        const decoded = Number(m[1]) * (UNITS[m[2] as string] ?? Number.NaN);
        return { decoded, total: m[3], loaded: Number(m[4] ?? 0), tables: m[5], line: l };
      });
    expect(lines.length).toBeGreaterThan(2);
    const total = formatBytes(manifest.rawBytes);
    for (const [i, l] of lines.entries()) {
      expect(l.total).toBe(total);
      expect(l.decoded).toBeLessThanOrEqual(manifest.rawBytes * 1.001); // one decimal place of rounding
      expect(l.loaded).toBeGreaterThanOrEqual(lines[i - 1]?.loaded ?? 0);
      expect(l.decoded).toBeGreaterThanOrEqual((lines[i - 1]?.decoded ?? 0) * 0.999);
      if (l.tables) expect(l.tables).toBe("3");
    }
    // The ahead lane's bytes count too: by the end, everything is decoded, and every table is in.
    const last = lines.at(-1) as (typeof lines)[number];
    expect(last.line.startsWith(`decoded ${total} / ${total}`)).toBe(true);
    expect(last.line).toMatch(/table data 3\/3 loaded; building indexes and constraints/);
    // The line is cleared when the restore ends: what is printed next starts on a clean line.
    expect(writes.at(-1)).toBe("\r\x1b[K");
  });

  it("restores a backup without an index (older rampart) in archive order, as before", async () => {
    const older = await storeWith("older", (m) => {
      delete m.seek;
    });
    const db = await temps.create();
    const { text, log } = capturedLog();
    await restore({ store: older, target: resolveTarget(db.url), log });
    expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
    expect(text()).not.toContain("ahead");
  });

  type Entry = NonNullable<Manifest["seek"]>["blocks"][number];
  const damaged: [string, (b: Entry) => void][] = [
    [
      "names an entry without data",
      (b) => {
        b.dumpId = 1;
      },
    ],
    [
      "starts inside a block",
      (b) => {
        b.at += 5;
      },
    ],
    [
      "resumes inside a frame",
      (b) => {
        b.resume = { raw: b.resume.raw, compressed: b.resume.compressed + 1 };
      },
    ],
    [
      "ends inside its block",
      (b) => {
        b.end -= 1;
        b.resume = b.from; // consistent on its face: only the archive shows it wrong
      },
    ],
  ];
  it.each(damaged)("fails clearly on an index that %s, and --to-file still works", async (name, edit) => {
    const broken = await storeWith(`broken-${name.replace(/\W+/g, "-")}`, (m) =>
      edit(m.seek?.blocks[0] as never),
    );
    const db = await temps.create();
    const err = await restore({ store: broken, target: resolveTarget(db.url) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const shown = `${(err as UserError).message}\n${(err as UserError).hints.join("\n")}`;
    expect(shown).toMatch(/seek index/);
    expect(shown).toContain("--to-file");
    const file = join(dir, `${name}.pgc`);
    await restore({ store: broken, toFile: file });
    const { stdout } = await execFileP("pg_restore", ["-l", file]);
    expect(stdout).toContain("TABLE DATA public zz_events");
    expect((await readFile(file)).length).toBe(manifest.rawBytes);
  });

  it("passes over an index entry that cannot be right, with a warning, and restores in archive order", async () => {
    const impossible = await storeWith("impossible", (m) => {
      const b = m.seek?.blocks[0] as Entry;
      b.end = m.rawBytes + 1;
    });
    const db = await temps.create();
    const { text, log } = capturedLog();
    await restore({ store: impossible, target: resolveTarget(db.url), log });
    expect(await tableChecksums(db.url)).toEqual(await tableChecksums(source.url));
    expect(text()).toMatch(
      /not using the backup's seek index \(block \d+\.\.\d+ is not within the \d+-byte archive\)/,
    );
    expect(text()).not.toContain("decoded ahead");
  });

  it("indexes the same blocks when the dump's buffers are reused as soon as they are handed on", async () => {
    const { archive } = await stockDecoded();
    const indexer = new SeekIndexer();
    const reused = Buffer.alloc(1000); // small: the TOC takes several pieces, which the scanner must keep
    for (let at = 0; at < archive.length; at += reused.length) {
      const n = archive.copy(reused, 0, at, at + reused.length);
      indexer.input(reused.subarray(0, n));
      indexer.frame(n, n); // one "frame" per piece
      reused.fill(0xaa); // the pool hands the block out again
    }
    const blocks = indexer.result() ?? [];
    expect(blocks.map(({ dumpId, at, end }) => ({ dumpId, at, end }))).toEqual(
      manifest.seek?.blocks.map(({ dumpId, at, end }) => ({ dumpId, at, end })),
    );
    for (const b of blocks) {
      expect(b.from).toEqual({ raw: b.at - (b.at % 1000), compressed: b.at - (b.at % 1000) });
      // The frame holding `end`; a block that ends the archive resumes at its end.
      expect(b.resume.raw).toBe(b.end === archive.length ? b.end : b.end - (b.end % 1000));
    }
  });
});

describe("seek index, largest table first in the archive", () => {
  it("restores a database whose largest table's data comes right after a small TOC", async () => {
    const first = await createTempDatabase("rampart_seek_first");
    try {
      await sql(
        first.url,
        `create table a_big (id int primary key, body text);
         insert into a_big select g, repeat(md5(g::text), 4) from generate_series(1, 30000) g;
         create table b_small (id int);
         insert into b_small values (1), (2);`,
      );
      const ownDir = await tempDir("rampart-seek-first-");
      const own = writeStackWithIdentity(ownDir);
      const { store: ownStore, manifest: m } = await cliBackup(own, first.url);
      expect(m.seek?.blocks[0]?.at).toBeLessThan(4096); // before the scanner's first look for the TOC
      const db = await temps.create();
      const { text, log } = capturedLog();
      await restoreBackup({
        store: ownStore,
        backup: m.id,
        identities,
        jobs: 2,
        log,
        target: resolveTarget(db.url),
      });
      expect(await tableChecksums(db.url)).toEqual(await tableChecksums(first.url));
      expect(text()).toContain("decoded ahead");
      await rm(ownDir, { recursive: true, force: true });
    } finally {
      await first.drop();
    }
  });
});

/** `buf` through the stock zstd. */
async function zstdOf(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile("zstd", ["-d", "-c"], { encoding: "buffer", maxBuffer: 1 << 30 }, (e, out) =>
      e ? reject(e) : resolve(out),
    );
    child.stdin?.end(buf);
  });
}
