import { spawn } from "node:child_process";

export type Timed = { wallS: number; cpuS: number; peakRssMb: number; stdout: string; stderr: string };

/** The run with the median wall time (a shared box is noisy). */
export const medianRun = (all: readonly Timed[]): Timed =>
  [...all].sort((a, b) => a.wallS - b.wallS)[Math.floor(all.length / 2)] as Timed;

/**
 * Run `sh -c script` under GNU time -v: wall clock, user+system CPU of every process it waited for, and the
 * peak RSS of the largest single process (ru_maxrss of the children, as the kernel reports it).
 */
export function timed(script: string, env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-v", "sh", "-c", script], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`failed (${code}): ${script}\n${stderr.slice(-2000)}`));
      const num = (re: RegExp) => Number(re.exec(stderr)?.[1] ?? Number.NaN);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
      const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
      resolve({
        wallS,
        cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
        peakRssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
        stdout,
        stderr,
      });
    });
  });
}
