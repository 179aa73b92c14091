// Throughput and memory of Store.put for ~100 MB, against the file store (baseline, same run), moto (S3)
// and fake-gcs-server. Needs running emulators:
//   RAMPART_TEST_S3_ENDPOINT=http://127.0.0.1:PORT RAMPART_TEST_GCS_ENDPOINT=http://127.0.0.1:PORT \
//   node bench/store-put.ts [MiB]
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { Storage } from "@google-cloud/storage";
import { FileStore } from "../scripts/lib/store/file.ts";
import { GcsStore } from "../scripts/lib/store/gcs.ts";
import { S3Store } from "../scripts/lib/store/s3.ts";
import type { Store } from "../scripts/lib/store/types.ts";
import { peakRss } from "./rss.ts";

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 100) * MiB;
const s3 = process.env.RAMPART_TEST_S3_ENDPOINT;
const gcs = process.env.RAMPART_TEST_GCS_ENDPOINT;
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

/** `total` bytes in 1 MiB chunks from one random block: no RAM grows with size unless the consumer buffers. */
function source(): Readable {
  const block = randomBytes(MiB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      sent += MiB;
      this.push(Buffer.from(block));
    },
  });
}

async function measure(name: string, store: Store): Promise<number> {
  const rss = peakRss();
  const t0 = performance.now();
  await store.put("bench/object", source(), { expectedSize: total });
  const secs = (performance.now() - t0) / 1000;
  const peak = rss.stop();
  console.log(
    `${name.padEnd(6)} ${(total / MiB / secs).toFixed(1).padStart(7)} MiB/s  ${secs.toFixed(2)} s  ` +
      `peak RSS +${(peak / MiB).toFixed(0)} MiB over start`,
  );
  return secs;
}

const dir = await mkdtemp(join(tmpdir(), "rampart-bench-"));
try {
  console.log(`put of ${total / MiB} MiB`);
  const base = await measure("file", new FileStore(pathToFileURL(dir).href));
  if (s3) {
    const bucket = `bench-${Date.now()}`;
    await new S3Client({ endpoint: s3, region: "us-east-1", forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    const secs = await measure("s3", new S3Store(`s3://${bucket}/b`, { endpoint: s3 }));
    console.log(`  s3/file time ratio ${(secs / base).toFixed(1)}x`);
  }
  if (gcs) {
    const bucket = `bench-${Date.now()}`;
    await new Storage({ apiEndpoint: gcs, projectId: "bench" }).createBucket(bucket);
    const secs = await measure("gs", new GcsStore(`gs://${bucket}/b`, { apiEndpoint: gcs }));
    console.log(`  gs/file time ratio ${(secs / base).toFixed(1)}x`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
