// Memory and speed of the backup transforms on generated data (default 200 MiB):
//   age encryption alone (memory must stay far below the data size), zstd level 3 (optionally 0 vs 2 workers,
//   baseline 0 workers, same run), and zstd + age together.   node bench/age-compress.ts [MiB]
import { randomBytes } from "node:crypto";
import { type Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { encryptStream, generateIdentity, identityToRecipient } from "../scripts/lib/age.ts";
import { compressStream } from "../scripts/lib/compress.ts";
import { peakRss } from "./rss.ts";

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 200) * MiB;

/** Dump-like data: half random hex (compressible ~2x), in 1 MiB chunks from a few fixed blocks. */
const blocks = Array.from({ length: 8 }, () => Buffer.from(randomBytes(MiB / 2).toString("hex")));
function source(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      this.push(Buffer.from(blocks[(sent / MiB) % blocks.length] as Buffer));
      sent += MiB;
    },
  });
}

async function measure(name: string, stages: () => Promise<Duplex[]>): Promise<number> {
  let out = 0;
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      out += chunk.length;
      cb();
    },
  });
  const built = await stages();
  const rss = peakRss();
  const t0 = performance.now();
  await pipeline([source(), ...built, sink]);
  const secs = (performance.now() - t0) / 1000;
  const peak = rss.stop();
  console.log(
    `${name.padEnd(22)} ${(total / MiB / secs).toFixed(1).padStart(7)} MiB/s in  out ${(out / MiB).toFixed(0)} MiB  ` +
      `peak RSS +${(peak / MiB).toFixed(0)} MiB (data ${total / MiB} MiB)`,
  );
  return secs;
}

const recipient = await identityToRecipient(await generateIdentity());
await measure("age encrypt", async () => [await encryptStream([recipient])]);
const zstd = (workers: number) =>
  zlib.createZstdCompress({
    params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_nbWorkers]: workers },
  });
const single = await measure("zstd-3 0 workers", async () => [zstd(0)]);
// Node 24.21 crashes here with ERR_STREAM_PUSH_AFTER_EOF (an uncaught error from zlib, not a rejection),
// which is why compressStream uses no workers. Opt in to see it: ZSTD_WORKERS_BENCH=1.
if (process.env.ZSTD_WORKERS_BENCH) {
  const multi = await measure("zstd-3 2 workers", async () => [zstd(2)]);
  console.log(`  2 workers / 0 workers time ratio ${(multi / single).toFixed(2)}`);
}
await measure("compressStream+age", async () => [
  compressStream({ algorithm: "zstd", level: 3 }),
  await encryptStream([recipient]),
]);
