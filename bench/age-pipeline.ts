// The backup and restore pipelines around age, from a raw pg_dump archive, with the previous age
// implementation (age-encryption library) and the native one alternating in one process:
//   backup:  dump file → zstd-3 frames → age encrypt → HashTap → (discard)
//   restore: sealed file → age decrypt → zstd -d → (discard)
// Reports wall and process CPU (main thread + zstd's thread pool) per run.
//   node bench/age-pipeline.ts <raw.dump> [rounds=3]        (run under flock -x /tmp/rampart-cpu.lock)
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Duplex, type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { decryptStream, encryptStream, generateIdentity, identityToRecipient } from "../scripts/lib/age.ts";
import { compressStream, decompressStream } from "../scripts/lib/compress.ts";
import { HashTap } from "../scripts/lib/hash.ts";
import { libraryDecrypt, libraryEncrypt } from "./age-library.ts";

const [dumpFile, roundsArg] = process.argv.slice(2);
if (!dumpFile) throw new Error("usage: node bench/age-pipeline.ts <raw.dump> [rounds]");
const rounds = Number(roundsArg ?? 3);

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const encrypters = {
  library: () => libraryEncrypt(recipient),
  native: () => encryptStream([recipient]),
};
const decrypters = {
  library: () => libraryDecrypt(identity),
  native: () => decryptStream([identity]),
};
const discard = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

async function timed(stages: () => Promise<(Readable | Duplex | Writable)[]>) {
  const built = await stages();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await pipeline(built);
  const used = process.cpuUsage(cpu0);
  return { wall: (performance.now() - t0) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const sealed = join(tmpdir(), `rampart-age-pipeline-${process.pid}.age`);
const totals: Record<string, { wall: number; cpu: number }> = {};
const add = (name: string, r: { wall: number; cpu: number }) => {
  totals[name] ??= { wall: 0, cpu: 0 };
  const t = totals[name];
  t.wall += r.wall / rounds;
  t.cpu += r.cpu / rounds;
  console.log(`${name.padEnd(18)} wall ${r.wall.toFixed(3)} s  cpu ${r.cpu.toFixed(3)} s`);
};
try {
  for (let round = 0; round < rounds; round++)
    for (const impl of ["library", "native"] as const) {
      add(
        `backup ${impl}`,
        await timed(async () => [
          createReadStream(dumpFile),
          compressStream({ algorithm: "zstd", level: 3 }),
          await encrypters[impl](),
          new HashTap(),
          impl === "native" ? createWriteStream(sealed) : discard(),
        ]),
      );
    }
  for (let round = 0; round < rounds; round++)
    for (const impl of ["library", "native"] as const)
      add(
        `restore ${impl}`,
        await timed(async () => [
          createReadStream(sealed),
          await decrypters[impl](),
          decompressStream("zstd"),
          discard(),
        ]),
      );
} finally {
  await rm(sealed, { force: true });
}
for (const stage of ["backup", "restore"]) {
  const [lib, nat] = [totals[`${stage} library`], totals[`${stage} native`]];
  if (lib && nat)
    console.log(
      `${stage}: mean wall ${lib.wall.toFixed(3)} → ${nat.wall.toFixed(3)} s (x${(nat.wall / lib.wall).toFixed(2)}), ` +
        `cpu ${lib.cpu.toFixed(3)} → ${nat.cpu.toFixed(3)} s (x${(nat.cpu / lib.cpu).toFixed(2)})`,
    );
}
