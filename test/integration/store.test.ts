// One contract suite, run against every store: file (temp dir), s3 (moto) and gs (fake-gcs-server).
// Transient failures are injected by a tiny HTTP proxy in front of the real emulator, not by mocks.

import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../posture/errors.ts";
import { FileStore } from "../../scripts/lib/store/file.ts";
import { GcsStore } from "../../scripts/lib/store/gcs.ts";
import { S3Store } from "../../scripts/lib/store/s3.ts";
import { multipartPut } from "../../scripts/lib/store/s3-multipart.ts";
import type { Store } from "../../scripts/lib/store/types.ts";
import { faultProxy } from "../support/fault-proxy.ts";
import { gcsClient, gcsEndpoint, s3Client, s3Endpoint, uniqueName } from "../support/services.ts";

const MiB = 1024 * 1024;
const FAST_RETRY = { attempts: 4, baseMs: 5, maxMs: 20 };

/** Readable of `chunks` random 1 MiB chunks; `failAt`/`onChunk` let a test break or abort it midway. */
function body(chunks: number, opts: { failAt?: number; onChunk?: (i: number) => void } = {}) {
  const parts: Buffer[] = [];
  async function* gen() {
    for (let i = 0; i < chunks; i++) {
      if (i === opts.failAt) throw new Error("source failed midway");
      opts.onChunk?.(i);
      const c = randomBytes(MiB);
      parts.push(c);
      yield c;
      await new Promise((r) => setImmediate(r));
    }
  }
  return { stream: Readable.from(gen()), sent: () => Buffer.concat(parts) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** HTTP proxy to `target` that answers the next `state.failuresLeft` requests with 503, and counts requests. */
async function flakyProxy(target: string, failures: number) {
  const state = { requests: 0, failed: 0, failuresLeft: failures };
  const proxy = await faultProxy(target, () => {
    state.requests++;
    if (state.failuresLeft <= 0) return "pass";
    state.failuresLeft--;
    state.failed++;
    return { status: 503, body: "<Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>" };
  });
  return { url: proxy.endpoint, state, close: proxy.close };
}

type Harness = {
  name: string;
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** The same kind of store reached through `proxyUrl`, with fast retries counted by `onRetry`. */
  openVia?(store: Store, proxyUrl: string, onRetry: () => void): Store;
  target?(): string;
  /** Multipart/resumable leftovers a failed put may have left (S3: ListMultipartUploads). */
  pendingUploads?(store: Store): Promise<number>;
};

function storeContract(h: Harness): void {
  describe(`${h.name} store contract`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await h.open();
    });

    it("streams a multi-MB put and gets the same bytes back", async () => {
      const src = body(12);
      let progress = 0;
      const res = await store.put("db/dump.bin", src.stream, {
        expectedSize: 12 * MiB,
        onProgress: (n) => {
          progress = n;
        },
      });
      expect(res).toEqual({ key: "db/dump.bin", bytes: 12 * MiB });
      expect(progress).toBeGreaterThan(0);
      expect((await readAll(await store.get("db/dump.bin"))).equals(src.sent())).toBe(true);
    });

    it("reads an object from a given byte on (resuming a cut download)", async () => {
      const src = body(3);
      await store.put("db/ranged.bin", src.stream);
      const all = src.sent();
      const from = MiB + 12345;
      expect(
        (await readAll(await store.get("db/ranged.bin", { start: from }))).equals(all.subarray(from)),
      ).toBe(true);
      expect((await readAll(await store.get("db/ranged.bin", { start: 0 }))).equals(all)).toBe(true);
    });

    it("puts and gets small objects, lists by prefix, checks existence and deletes", async () => {
      await store.putBytes("p/a/manifest.json", '{"a":1}', "application/json");
      await store.putBytes("p/b/manifest.json", new Uint8Array([1, 2, 3]));
      await store.putBytes("q/other", "x");
      expect((await store.getBytes("p/a/manifest.json")).toString()).toBe('{"a":1}');
      expect([...(await store.getBytes("p/b/manifest.json"))]).toEqual([1, 2, 3]);
      const listed = await store.list("p/");
      expect(listed.map((o) => o.key)).toEqual(["p/a/manifest.json", "p/b/manifest.json"]);
      expect(listed.map((o) => o.size)).toEqual([7, 3]);
      expect(listed[0]?.lastModified).toBeInstanceOf(Date);
      expect(await store.exists("p/a/manifest.json")).toBe(true);
      expect(await store.exists("p/a/nothing")).toBe(false);
      expect(await store.delete("p/a/manifest.json")).toEqual({ key: "p/a/manifest.json", deleted: true });
      expect(await store.exists("p/a/manifest.json")).toBe(false);
      expect((await store.list("p/")).map((o) => o.key)).toEqual(["p/b/manifest.json"]);
      expect(await store.delete("p/a/manifest.json")).toMatchObject({ deleted: false, reason: "missing" });
    });

    it("reports a missing object as a UserError", async () => {
      await expect(store.getBytes("nope/missing")).rejects.toBeInstanceOf(UserError);
      await expect(store.get("nope/missing")).rejects.toBeInstanceOf(UserError);
    });

    it("leaves nothing behind when the body stream fails midway", async () => {
      await expect(store.put("fail/body", body(20, { failAt: 10 }).stream)).rejects.toThrow(
        "source failed midway",
      );
      expect(await store.exists("fail/body")).toBe(false);
      expect(await store.list("fail/")).toEqual([]);
      if (h.pendingUploads) expect(await h.pendingUploads(store)).toBe(0);
    });

    it("leaves nothing behind when the put is aborted", async () => {
      const ac = new AbortController();
      const src = body(40, { onChunk: (i) => i === 12 && ac.abort(new Error("operator cancelled")) });
      await expect(store.put("fail/aborted", src.stream, { signal: ac.signal })).rejects.toThrow();
      expect(await store.exists("fail/aborted")).toBe(false);
      expect(await store.list("fail/")).toEqual([]);
      if (h.pendingUploads) expect(await h.pendingUploads(store)).toBe(0);
    });

    it("lists more than 1,000 objects completely", async () => {
      const keys = Array.from({ length: 1105 }, (_, i) => `many/${String(i).padStart(5, "0")}`);
      for (let i = 0; i < keys.length; i += 50)
        await Promise.all(keys.slice(i, i + 50).map((k) => store.putBytes(k, k)));
      const listed = (await store.list("many/")).map((o) => o.key).sort();
      expect(listed).toEqual(keys);
    });

    it.runIf(h.openVia)("retries transient 503s and fails non-transient errors at once", async () => {
      const proxy = await flakyProxy(h.target?.() ?? "", 3);
      try {
        let retries = 0;
        const flaky = h.openVia?.(store, proxy.url, () => retries++) as Store;
        await flaky.putBytes("retry/obj", "survives 503s");
        expect(proxy.state.failed).toBe(3);
        expect(retries).toBe(3);
        proxy.state.failuresLeft = 2;
        expect((await flaky.getBytes("retry/obj")).toString()).toBe("survives 503s");
        proxy.state.failuresLeft = 2;
        expect((await flaky.list("retry/")).map((o) => o.key)).toEqual(["retry/obj"]);
        expect(retries).toBe(7);
        // A missing object is not transient: exactly one request, no retry.
        const before = proxy.state.requests;
        await expect(flaky.getBytes("retry/missing")).rejects.toBeInstanceOf(UserError);
        expect(proxy.state.requests - before).toBe(1);
        expect(retries).toBe(7);
        // Persistent failure: gives up after `attempts` and says so.
        proxy.state.failuresLeft = 100;
        await expect(flaky.getBytes("retry/obj")).rejects.toThrow(/after 4 attempts/);
      } finally {
        await proxy.close();
      }
    });
  });
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "rampart-store-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

storeContract({
  name: "file",
  open: async () => new FileStore(pathToFileURL(join(tmp, uniqueName("store"))).href),
});

storeContract({
  name: "s3",
  async open() {
    const bucket = uniqueName("rampart-store");
    await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
    return new S3Store(`s3://${bucket}/backups`, { endpoint: s3Endpoint(), retry: FAST_RETRY });
  },
  target: s3Endpoint,
  openVia: (store, proxyUrl, onRetry) =>
    new S3Store(store.url, { endpoint: proxyUrl, retry: { ...FAST_RETRY, onRetry } }),
  async pendingUploads(store) {
    const Bucket = (store as S3Store).bucket;
    const res = await s3Client().send(new ListMultipartUploadsCommand({ Bucket }));
    return res.Uploads?.length ?? 0;
  },
});

storeContract({
  name: "gs",
  async open() {
    const bucket = uniqueName("rampart-store");
    await gcsClient().createBucket(bucket);
    return new GcsStore(`gs://${bucket}/backups`, { apiEndpoint: gcsEndpoint(), retry: FAST_RETRY });
  },
  target: gcsEndpoint,
  openVia: (store, proxyUrl, onRetry) =>
    new GcsStore(store.url, { apiEndpoint: proxyUrl, retry: { ...FAST_RETRY, onRetry } }),
});

describe("s3 specifics", () => {
  it.each(["GOVERNANCE", "COMPLIANCE"] as const)(
    "reports a %s object-lock refusal as locked",
    async (Mode) => {
      const Bucket = uniqueName("rampart-lock");
      const client = s3Client();
      await client.send(new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: true }));
      await client.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: {
            ObjectLockEnabled: "Enabled",
            Rule: { DefaultRetention: { Mode, Days: 1 } },
          },
        }),
      );
      const store = new S3Store(`s3://${Bucket}`, { endpoint: s3Endpoint(), retry: FAST_RETRY });
      await store.putBytes("b1/manifest.json", "{}");
      const res = await store.delete("b1/manifest.json");
      expect(res).toMatchObject({ key: "b1/manifest.json", deleted: false, reason: "locked" });
      expect(res.deleted === false && res.detail).toMatch(new RegExp(`${Mode} retention until`));
      expect(await store.exists("b1/manifest.json")).toBe(true);
    },
  );

  it("uploads parts of growing sizes (the part-size schedule) into one exact object", async () => {
    const Bucket = uniqueName("rampart-parts");
    const client = s3Client();
    await client.send(new CreateBucketCommand({ Bucket }));
    const sizes: number[] = [];
    const partSize = (n: number) => {
      const size = (n <= 2 ? 5 : 6) * MiB;
      sizes[n - 1] = size;
      return size;
    };
    const { stream, sent } = body(25); // 5 + 5 + 6 + 6 + 3 MiB
    const stored = await multipartPut(stream, {
      client,
      bucket: Bucket,
      key: "grow",
      partSize,
      queue: 2,
      retry: { ...FAST_RETRY, isTransient: () => false },
    });
    expect(stored).toBe(25 * MiB);
    expect(sizes.slice(0, 4)).toEqual([5, 5, 6, 6].map((m) => m * MiB));
    // S3 itself reports the parts: five, the third of 6 MiB.
    const third = await client.send(new HeadObjectCommand({ Bucket, Key: "grow", PartNumber: 3 }));
    expect([third.PartsCount, third.ContentLength]).toEqual([5, 6 * MiB]);
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "grow" }));
    expect(
      Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ).equals(sent()),
    ).toBe(true);
  });

  it("deletes every version of a key in a versioned bucket, and only that key", async () => {
    const Bucket = uniqueName("rampart-versions");
    const client = s3Client();
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: "Enabled" } }),
    );
    const store = new S3Store(`s3://${Bucket}/pre`, { endpoint: s3Endpoint(), retry: FAST_RETRY });
    await store.putBytes("k", "v1");
    await store.putBytes("k", "v2");
    await store.putBytes("k2", "sibling with k as prefix");
    expect(await store.delete("k")).toEqual({ key: "k", deleted: true });
    const { ListObjectVersionsCommand } = await import("@aws-sdk/client-s3");
    const left = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: "pre/" }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])].map((v) => v.Key)).toEqual(["pre/k2"]);
  });

  it.each([
    ["empty", 0],
    ["one byte", 1],
    ["exactly one part", 5 * MiB],
    ["one part and a byte", 5 * MiB + 1],
    ["two parts and a tail", 10 * MiB + 12_345],
  ])("stores %s exactly, each part sent with a CRC32 checksum", async (_what, size) => {
    const Bucket = uniqueName("rampart-parts");
    await s3Client().send(new CreateBucketCommand({ Bucket }));
    const parts: { crc32: string | undefined }[] = [];
    const proxy = await faultProxy(s3Endpoint(), (req) => {
      if (req.method === "PUT" && /[?&]partNumber=/.test(req.url ?? ""))
        parts.push({ crc32: req.headers["x-amz-checksum-crc32"] as string | undefined });
      return "pass";
    });
    try {
      const store = new S3Store(`s3://${Bucket}/p`, { endpoint: proxy.endpoint, retry: FAST_RETRY });
      const data = randomBytes(size);
      // Odd-sized writes, so parts are assembled across chunk boundaries.
      const chunks = Array.from({ length: Math.ceil(size / 777_777) }, (_, i) =>
        data.subarray(i * 777_777, (i + 1) * 777_777),
      );
      let progress = 0;
      const res = await store.put("obj", Readable.from(chunks), {
        expectedSize: size,
        onProgress: (n) => {
          progress = n;
        },
      });
      expect(res.bytes).toBe(size);
      expect(progress).toBe(size);
      expect((await store.getBytes("obj")).equals(data)).toBe(true);
      expect(parts.length).toBe(size >= 5 * MiB ? Math.ceil(size / (5 * MiB)) : 0);
      for (const p of parts) expect(p.crc32).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      expect((await s3Client().send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("explains a missing bucket with the endpoint, without retrying", async () => {
    const store = new S3Store("s3://no-such-bucket-rampart/x", { endpoint: s3Endpoint(), retry: FAST_RETRY });
    const err = await store.getBytes("a").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(
      `S3 GetObject failed: bucket no-such-bucket-rampart does not exist or is not reachable at ${s3Endpoint()}`,
    );
    expect((err as UserError).message).not.toMatch(/test/);
  });
});

describe("gs specifics", () => {
  it.each([
    ["a URL", (e: string) => e],
    ["host:port", (e: string) => new URL(e).host],
    ["a URL with /storage/v1", (e: string) => `${e}/storage/v1`],
  ])("honours STORAGE_EMULATOR_HOST given as %s", async (_form, value) => {
    const bucket = uniqueName("rampart-env");
    await gcsClient().createBucket(bucket);
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = value(gcsEndpoint());
    try {
      const store = new GcsStore(`gs://${bucket}/p`);
      const src = body(2);
      await store.put("dump", src.stream);
      await store.putBytes("m.json", "{}");
      expect((await store.list()).map((o) => o.key)).toEqual(["dump", "m.json"]);
      expect((await readAll(await store.get("dump"))).equals(src.sent())).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });
});
