// Memory and speed of the backup transforms on generated data (default 200 MiB):
//   age encrypt and decrypt, native (scripts/lib/age) against the age-encryption library (the previous
//   implementation: pure-JS ChaCha20 behind web streams), same data, same run; zstd level 3 (optionally 0 vs
//   2 workers); zstd + age together.
//   node bench/age-compress.ts [MiB] [--age-only]        (run under flock -x /tmp/rampart-cpu.lock)
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Duplex, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { decryptStream, encryptStream, generateIdentity, identityToRecipient } from "../scripts/lib/age.ts";
import { compressStream } from "../scripts/lib/compress.ts";
import { libraryDecrypt, libraryEncrypt } from "./age-library.ts";
import { peakRss } from "./rss.ts";

const MiB = 1024 * 1024;
const total = Number(process.argv[2] ?? 200) * MiB;
const ageOnly = process.argv.includes("--age-only");

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

type Result = { secs: number; cpu: number };

async function measure(
  name: string,
  stages: () => Promise<Duplex[]>,
  from: () => Readable = source,
  sink?: Writable,
): Promise<Result> {
  let out = 0;
  const counter =
    sink ??
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out += chunk.length;
        cb();
      },
    });
  const built = await stages();
  const rss = peakRss();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pipeline([from(), ...built, counter]);
  const secs = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  const peak = rss.stop();
  console.log(
    `${name.padEnd(24)} ${(total / MiB / secs).toFixed(1).padStart(7)} MiB/s  wall ${secs.toFixed(3)} s  ` +
      `cpu ${cpu.toFixed(3)} s  ${sink ? "" : `out ${(out / MiB).toFixed(0)} MiB  `}peak RSS +${(peak / MiB).toFixed(0)} MiB`,
  );
  return { secs, cpu };
}

const ratio = (label: string, oldR: Result, newR: Result) =>
  console.log(
    `  ${label}: native/library wall ${(newR.secs / oldR.secs).toFixed(3)}  cpu ${(newR.cpu / oldR.cpu).toFixed(3)}`,
  );

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const sealedFile = join(tmpdir(), `rampart-age-bench-${process.pid}.age`);
try {
  console.log(`age on ${total / MiB} MiB`);
  const encOld = await measure("age encrypt (library)", async () => [await libraryEncrypt(recipient)]);
  const encNew = await measure("age encrypt (native)", async () => [await encryptStream([recipient])]);
  ratio("encrypt", encOld, encNew);

  await pipeline(source(), await encryptStream([recipient]), createWriteStream(sealedFile));
  const sealed = () => createReadStream(sealedFile);
  const decOld = await measure("age decrypt (library)", async () => [await libraryDecrypt(identity)], sealed);
  const decNew = await measure("age decrypt (native)", async () => [await decryptStream([identity])], sealed);
  ratio("decrypt", decOld, decNew);
} finally {
  await rm(sealedFile, { force: true });
}

if (!ageOnly) {
  const zstd = (workers: number) =>
    zlib.createZstdCompress({
      params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_nbWorkers]: workers },
    });
  const single = await measure("zstd-3 0 workers", async () => [zstd(0)]);
  // Node 24.21 crashes here with ERR_STREAM_PUSH_AFTER_EOF (an uncaught error from zlib, not a rejection),
  // which is why compressStream uses no workers. Opt in to see it: ZSTD_WORKERS_BENCH=1.
  if (process.env.ZSTD_WORKERS_BENCH) {
    const multi = await measure("zstd-3 2 workers", async () => [zstd(2)]);
    console.log(`  2 workers / 0 workers time ratio ${(multi.secs / single.secs).toFixed(2)}`);
  }
  await measure("compressStream+age", async () => [
    compressStream({ algorithm: "zstd", level: 3 }),
    await encryptStream([recipient]),
  ]);
}
