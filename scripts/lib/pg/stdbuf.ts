import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The stdio buffer a tool gets under stdbuf: 1 MiB reads or writes instead of 4 KiB ones. */
const BUFFER = "1M";

const found = new Map<string, string | null>();

/** coreutils' stdbuf on PATH, or null (then tools run as they are). Looked up once per PATH. */
function stdbuf(env: NodeJS.ProcessEnv): string | null {
  const path = env.PATH ?? "";
  const known = found.get(path);
  if (known !== undefined) return known;
  let hit: string | null = null;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, "stdbuf"), constants.X_OK);
      hit = join(dir, "stdbuf");
      break;
    } catch {} // not here
  }
  found.set(path, hit);
  return hit;
}

/**
 * The command line that runs `command` with a 1 MiB stdio output buffer. Why: pg_dump writes its archive
 * through stdio, which buffers 4 KiB for a pipe, so the reader wakes ~200,000 times per GB; with 1 MiB
 * writes Node's CPU spent reading the pipe drops from 0.85 to 0.27 s per 790 MB (bench/backup.ts).
 * stdbuf execs the command (same pid: signals reach pg_dump itself). Without stdbuf: the plain command.
 */
export function withOutputBuffer(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): [string, string[]] {
  return buffered("--output", command, args, env);
}

/**
 * The same for a tool's stdin: pg_restore reads an archive fed on stdin 4 KiB at a time; with 1 MiB reads
 * a 1 GB restore that streams its largest table used less CPU and finished ~0.15 s sooner in 5 of 7 runs.
 */
export function withInputBuffer(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): [string, string[]] {
  return buffered("--input", command, args, env);
}

function buffered(
  flag: "--input" | "--output",
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): [string, string[]] {
  const wrapper = stdbuf(env);
  return wrapper ? [wrapper, [`${flag}=${BUFFER}`, command, ...args]] : [command, [...args]];
}
