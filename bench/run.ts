// `make bench`: every benchmark, one after the other, each comparing rampart with its baseline measured in
// the same run. Sizes in MB; override with BENCH_SIZES="300 1300". Numbers go to stdout (Markdown tables).
// Run it on a quiet machine: the ratios are only as good as the machine is idle.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./lib/services.ts";

const sizes = (process.env.BENCH_SIZES ?? "300 1300").split(/\s+/).filter(Boolean);
const benches: [string, string[]][] = [
  ["backup.ts", sizes],
  ["restore.ts", sizes],
  ["rotate-under-load.ts", ["30", "10"]],
];
let failed = 0;
for (const [file, args] of benches) {
  process.stderr.write(`\n== bench/${file} ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [join(ROOT, "bench", file), ...args], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
