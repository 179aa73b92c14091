import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** pg_dump's stdout buffer when run under stdbuf: big writes instead of 4 KiB ones. */
const OUTPUT_BUFFER = "1M";

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
  const wrapper = stdbuf(env);
  return wrapper ? [wrapper, [`--output=${OUTPUT_BUFFER}`, command, ...args]] : [command, [...args]];
}
