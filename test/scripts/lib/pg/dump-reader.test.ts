import { randomBytes } from "node:crypto";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlockPool } from "../../../../scripts/lib/block-pool.ts";
import type { ConnInfo } from "../../../../scripts/lib/pg/conninfo.ts";
import { DumpFailed, spawnPgDump } from "../../../../scripts/lib/pg/dump.ts";
import { tempDirSync } from "../../../support/temp.ts";

const conn: ConnInfo = {
  host: undefined,
  port: undefined,
  user: undefined,
  password: undefined,
  database: "shop",
  params: {},
};
const BLOCK = 64 * 1024;

/** A stand-in pg_dump: writes `data` to stdout in odd-sized pieces, then sleeps and exits as told. */
function fakePgDump(data: Buffer, opts: { code?: number; sleep?: number } = {}): string {
  const dir = tempDirSync("rampart-fake-pg-dump-");
  writeFileSync(join(dir, "data"), data);
  const script = join(dir, "pg_dump");
  writeFileSync(
    script,
    `#!/bin/sh\ndd if=${join(dir, "data")} bs=7777 status=none\nsleep ${opts.sleep ?? 0}\nexit ${opts.code ?? 0}\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

/** Drain `reader`, giving each block back after `holdMs` (a slow compressor) when the pool recycles. */
async function drain(
  reader: NodeJS.ReadableStream,
  pool: BlockPool,
  recycle: boolean,
  holdMs = 0,
): Promise<{ data: Buffer; chunks: Buffer[] }> {
  const copies: Buffer[] = [];
  const chunks: Buffer[] = [];
  for await (const chunk of reader as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    copies.push(Buffer.from(chunk)); // the block is reused once given back
    if (recycle) setTimeout(() => pool.release(chunk), holdMs);
  }
  return { data: Buffer.concat(copies), chunks };
}

describe("spawnPgDump and DumpReader", () => {
  it("delivers pg_dump's bytes exactly, read straight into the pool's blocks, in bounded memory", async () => {
    const data = randomBytes(40 * BLOCK + 1234);
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump(fakePgDump(data), conn, "snap", {
      pool,
      recycle: true,
      minBytes: 1,
      maxOut: 3,
    });
    const { data: got, chunks } = await drain(dump.stdout, pool, true, 5);
    expect(got.equals(data)).toBe(true);
    expect(dump.stdout.bytes).toBe(data.length);
    expect(chunks.every((c) => pool.owns(c))).toBe(true);
    expect(chunks.slice(0, -1).every((c) => c.length === BLOCK)).toBe(true);
    expect(chunks.at(-1)?.length).toBe(1234);
    // Reading paused while 3 blocks were out: one more was being filled, never more.
    expect(pool.allocated).toBeLessThanOrEqual(4);
    expect((await dump.exited).code).toBe(0);
  });

  it("without recycling, hands out fresh blocks and never waits for them", async () => {
    const data = randomBytes(10 * BLOCK);
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump(fakePgDump(data), conn, "snap", { pool, recycle: false, minBytes: 1 });
    const { data: got, chunks } = await drain(dump.stdout, pool, false);
    expect(got.equals(data)).toBe(true);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
  });

  it("fails instead of ending when pg_dump exits non-zero, even after all its output", async () => {
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump(fakePgDump(randomBytes(3 * BLOCK), { code: 3 }), conn, "s", {
      pool,
      recycle: true,
      minBytes: 1,
    });
    const err = await drain(dump.stdout, pool, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DumpFailed);
    expect(String(err)).toMatch(/pg_dump exited with code 3/);
  });

  it("fails when pg_dump is killed mid-stream", async () => {
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump(fakePgDump(randomBytes(BLOCK), { sleep: 3 }), conn, "s", {
      pool,
      recycle: true,
      minBytes: 1,
    });
    setTimeout(() => dump.kill(), 200);
    const err = await drain(dump.stdout, pool, true).catch((e: unknown) => e);
    expect(String(err)).toMatch(/pg_dump was killed by SIGTERM/);
  });

  it("refuses an implausibly small dump", async () => {
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump(fakePgDump(Buffer.from("PGDMP")), conn, "s", {
      pool,
      recycle: true,
      minBytes: 1000,
    });
    await expect(drain(dump.stdout, pool, true)).rejects.toThrow(/only 5 bytes .*minDumpBytes = 1000/);
  });

  it("reports a pg_dump that cannot be started as a failed dump, and leaves no socket directory", async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("rampart-dump-")));
    const pool = new BlockPool(BLOCK);
    const dump = await spawnPgDump("/nonexistent/pg_dump", conn, "s", { pool, recycle: true, minBytes: 1 });
    await expect(drain(dump.stdout, pool, true)).rejects.toThrow(/pg_dump exited with code (-1|127)/);
    const after = readdirSync(tmpdir()).filter((n) => n.startsWith("rampart-dump-") && !before.has(n));
    expect(after).toEqual([]);
  });
});
