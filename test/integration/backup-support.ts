// Helpers for the backup integration tests: run the real CLI, write stack files, read counts, restore
// with stock tools, and a fault-injecting HTTP proxy in front of moto.

import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { stringify } from "yaml";
import { pgBin } from "../support/services.ts";

const execFileP = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Run `rampart <args>` as a child process, as cron would. `onStderrLine` sees log lines as they come. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStderrLine?: (line: string) => void,
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/cli.ts"), ...args], {
      cwd: ROOT,
      env: { ...process.env, RAMPART_PG_BIN: pgBin(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
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
      for (const l of lines) onStderrLine?.(l);
    });
    child.once("error", fail);
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}

/** An age identity/recipient pair made by the stock age-keygen. */
export async function ageKeyPair(dir: string): Promise<{ keyFile: string; recipient: string }> {
  const keyFile = join(dir, "key.txt");
  await execFileP("age-keygen", ["-o", keyFile]);
  const { stdout } = await execFileP("age-keygen", ["-y", keyFile]);
  return { keyFile, recipient: stdout.trim() };
}

export type StackOptions = {
  store: string;
  recipients: string[];
  compression?: { algorithm: "zstd" | "gzip" | "none"; level?: number };
  minDumpBytes?: number;
  retention?: Record<string, number>;
};

/** A stack file for an external-profile posture pointing at `store`. */
export async function writeStack(dir: string, name: string, o: StackOptions): Promise<string> {
  const file = join(dir, `Pulumi.${name}.yaml`);
  const backups: Record<string, unknown> = { store: o.store, recipients: o.recipients };
  if (o.compression) backups.compression = o.compression;
  if (o.minDumpBytes) backups.minDumpBytes = o.minDumpBytes;
  if (o.retention) backups.retention = o.retention;
  const posture = {
    name: `backup test ${name}`,
    profile: "external",
    database: { major: 15, name: "shop" },
    backups,
    drills: { rtoMinutes: 10, rpoMinutes: 300, verify: [] },
    secrets: { store: `file://${join(dir, "secrets.env")}` },
    incident: { contacts: [{ name: "On-call", role: "incident commander", email: "oncall@example.com" }] },
    disclosure: { contact: "security@example.com" },
  };
  await writeFile(file, stringify({ config: { "rampart:posture": posture } }));
  return file;
}

export const tempDir = (prefix: string) => mkdtemp(join(tmpdir(), prefix));

/** Exact row counts of every user table, keyed like the manifest's `tables`. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; sql: string }>(
      `select quote_ident(schemaname) || '.' || quote_ident(relname) as name,
              format('select count(*) as n from %I.%I', schemaname, relname) as sql
         from pg_stat_user_tables order by 1`,
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[r.name] = Number((await c.query<{ n: string }>(r.sql)).rows[0]?.n);
    return out;
  } finally {
    await c.end();
  }
}

export async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

/** The last JSON object printed on stdout (the --json result). */
export const jsonResult = <T>(run: CliRun): T => JSON.parse(run.stdout) as T;

export const readText = (p: string) => readFile(p, "utf8");

export type Decision = "pass" | { status: number; body?: string } | Promise<void>;

/**
 * HTTP proxy to `target` that asks `decide` about every request: pass it on, answer it with an error
 * (S3-style XML), or hold it until a promise settles. `seen` records "METHOD path?query" of each request.
 */
export async function faultProxy(
  target: string,
  decide: (req: IncomingMessage) => Decision,
): Promise<{ endpoint: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const t = new URL(target);
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  };
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const d = decide(req);
    if (d === "pass") return forward(req, res);
    if (d instanceof Promise) {
      void d.then(() => forward(req, res));
      return;
    }
    req.resume();
    res.writeHead(d.status, { "content-type": "application/xml" });
    res.end(
      d.body ??
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`,
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("proxy has no port");
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
