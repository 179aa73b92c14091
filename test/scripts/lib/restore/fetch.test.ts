// The verified download: written to disk while the next bytes are read, hashed only once on disk, and a
// local write failure (a full disk) ends it at once with its own message, never as a retried network error.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../../../scripts/lib/manifest.ts";
import { fetchVerified } from "../../../../scripts/lib/restore/fetch.ts";
import { FileStore } from "../../../../scripts/lib/store/file.ts";
import type { Store } from "../../../../scripts/lib/store/types.ts";
import { tempDir } from "../../../support/temp.ts";

let dir: string;
let store: FileStore;
// Several 1 MiB writes and a short last one.
const body = randomBytes(3.5 * 1024 * 1024);
const manifest = {
  id: "20261121T000000Z-shop-abcd",
  object: "20261121T000000Z-shop-abcd/dump.pgc.zst.age",
  storedBytes: body.length,
  sha256: createHash("sha256").update(body).digest("hex"),
} as Manifest;

beforeAll(async () => {
  dir = await tempDir("rampart-fetch-");
  store = new FileStore(`file://${join(dir, "store")}`);
  await store.putBytes(manifest.object, body);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("fetchVerified", () => {
  it("writes the object to disk exactly, reporting progress in order", async () => {
    const into = await mkdtemp(join(dir, "ok-"));
    const seen: number[] = [];
    const path = await fetchVerified(store, manifest, into, { onProgress: (n) => seen.push(n) });
    expect((await readFile(path)).equals(body)).toBe(true);
    expect(seen.at(-1)).toBe(body.length);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it("refuses an object whose hash differs", async () => {
    const into = await mkdtemp(join(dir, "bad-"));
    await expect(fetchVerified(store, { ...manifest, sha256: "0".repeat(64) }, into)).rejects.toThrow(
      /failed its integrity check/,
    );
  });

  it("stops at the first failed write (a full disk) with that error, without retrying the download", async () => {
    const into = await mkdtemp(join(dir, "full-"));
    // Every write to /dev/full fails with ENOSPC.
    await symlink("/dev/full", join(into, "dump.pgc.zst.age"));
    const resumed: unknown[] = [];
    await expect(fetchVerified(store, manifest, into, { onResume: (r) => resumed.push(r) })).rejects.toThrow(
      /cannot write .*dump\.pgc\.zst\.age: .*ENOSPC/,
    );
    expect(resumed).toEqual([]);
  });

  it("stops when aborted mid-download, with the abort's reason and no resumed read", async () => {
    const into = await mkdtemp(join(dir, "abort-"));
    // A connection that sends 1 MiB and then nothing: only the abort can end this download.
    let gets = 0;
    const stalling = {
      get: async () => {
        gets++;
        const stalled = new Readable({ read() {} });
        stalled.push(body.subarray(0, 1 << 20));
        return stalled;
      },
    } as unknown as Store;
    const stop = new AbortController();
    const refused = new Error("refusing to restore into db: it is not empty");
    const resumed: unknown[] = [];
    const fetching = fetchVerified(stalling, manifest, into, {
      signal: stop.signal,
      onProgress: () => stop.abort(refused),
      onResume: (r) => resumed.push(r),
    });
    await expect(fetching).rejects.toBe(refused);
    expect(gets).toBe(1);
    expect(resumed).toEqual([]);
  });

  it("does not start a download already aborted, nor read again once aborted during a retry", async () => {
    const before = new AbortController();
    before.abort(new Error("stopped"));
    let gets = 0;
    const failing = {
      get: async () => {
        gets++;
        throw Object.assign(new Error("connection reset"), { code: "ECONNRESET" });
      },
    } as unknown as Store;
    await expect(
      fetchVerified(failing, manifest, await mkdtemp(join(dir, "pre-")), { signal: before.signal }),
    ).rejects.toThrow("stopped");
    expect(gets).toBe(0);

    // The first read fails; the abort comes before the retry's backoff: no second read.
    const during = new AbortController();
    const fetching = fetchVerified(failing, manifest, await mkdtemp(join(dir, "backoff-")), {
      signal: during.signal,
      onResume: () => during.abort(new Error("target refused")),
    });
    await expect(fetching).rejects.toThrow("target refused");
    expect(gets).toBe(1);
  });

  it("stops while the store has not answered yet, and closes a body that arrives after", async () => {
    let answer!: (body: Readable) => void;
    let asked!: () => void;
    const requested = new Promise<void>((r) => (asked = r));
    const slow = {
      get: () => {
        asked();
        return new Promise<Readable>((resolve) => (answer = resolve));
      },
    } as unknown as Store;
    const stop = new AbortController();
    const fetching = fetchVerified(slow, manifest, await mkdtemp(join(dir, "slow-")), {
      signal: stop.signal,
    });
    await requested; // the read is out, with no answer yet
    const refused = new Error("refusing to restore into db: it is not empty");
    stop.abort(refused);
    await expect(fetching).rejects.toBe(refused);
    const late = new Readable({ read() {} });
    answer(late);
    await new Promise((r) => setImmediate(r));
    expect(late.destroyed).toBe(true);
  });
});
