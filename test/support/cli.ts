// Run the real `rampart` CLI (or another repo script) as a child process, as cron or an operator would.
// Shared by the integration tests and the benches; it never touches vitest, so a bench can use it too.
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export type CliRun = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Extra environment for the child; a key set to undefined is removed from the inherited environment. */
export type ChildEnv = Record<string, string | undefined>;

export type RunOptions = {
  /** Written to the child's stdin, which is then closed (secrets go here, never in args). */
  stdin?: string;
  /** Sees each stderr (log) line as it comes, e.g. to act while the run is still going. */
  onStderrLine?: (line: string) => void;
};

/** `node <script> ...args` from the repository root; resolves with the exit code/signal and the output. */
export function runScript(
  script: string,
  args: string[],
  env: ChildEnv = {},
  opts: RunOptions = {},
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const testPgBin = process.env.RAMPART_TEST_PG_BIN;
    const child = spawn(process.execPath, [join(ROOT, script), ...args], {
      cwd: ROOT,
      // The test cluster's binaries, so pg_dump/pg_restore match its server version.
      env: { ...process.env, ...(testPgBin ? { RAMPART_PG_BIN: testPgBin } : {}), ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) opts.onStderrLine?.(l);
    });
    child.once("error", fail);
    child.once("close", (code, signal) => done({ code, signal, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}

/** `rampart <args>` (node scripts/cli.ts) with `env` added. */
export const runCli = (args: string[], env: ChildEnv = {}, opts: RunOptions = {}): Promise<CliRun> =>
  runScript("scripts/cli.ts", args, env, opts);

/** The --json result a run printed on stdout. */
export const jsonResult = <T>(run: CliRun): T => JSON.parse(run.stdout) as T;
