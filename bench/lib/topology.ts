import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/**
 * The box split in two: the server side (PostgreSQL, the S3 server) on the first half of the CPUs, the
 * clients on the rest, as in production, where the database and the store run on machines of their own.
 * Null on a single CPU. CPU lists as taskset takes them.
 */
export function splitCpus(
  n = availableParallelism(),
): { server: string; client: string; all: string } | null {
  if (n < 2) return null;
  const half = Math.floor(n / 2);
  const range = (from: number, to: number) => (from === to ? String(from) : `${from}-${to}`);
  return { server: range(0, half - 1), client: range(half, n - 1), all: range(0, n - 1) };
}

/** `pid` and every process below it (PostgreSQL's backends and helpers are the postmaster's children). */
export function withDescendants(pid: number, proc = "/proc"): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(join(proc, name, "stat"), "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(name), ppid);
    } catch {} // exited meanwhile
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++)
    for (const [child, ppid] of parent) if (ppid === out[i] && !out.includes(child)) out.push(child);
  return out;
}

/**
 * Move these processes and their threads to `cpus`; processes they fork later inherit it (a backend per
 * connection). Processes that exited meanwhile are skipped.
 */
export async function pin(pids: readonly number[], cpus: string): Promise<void> {
  for (const pid of pids)
    await execFileP("taskset", ["-a", "-p", "-c", cpus, String(pid)]).catch((e: unknown) => {
      if (!/No such process|failed to get pid/.test(String(e))) throw e;
    });
}
