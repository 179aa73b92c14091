#!/usr/bin/env node
// `make demo`: a local PostgreSQL in a temp dir, the sample shop database, `rampart backup` to the local
// stack's file store, `rampart drill`, and where the report is. Re-runnable: backups and drill evidence
// accumulate under .rampart/local/ (so the report's RTO/RPO chart grows); the server is always removed.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { loadPosture } from "../posture/index.ts";
import { parseIdentities } from "./lib/age.ts";
import { startPostgres } from "./lib/pg-cluster.ts";
import { loadSampleDatabase } from "./lib/sample-db/index.ts";
import { openSecretStore } from "./lib/secrets/index.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = fileURLToPath(new URL("cli.ts", import.meta.url));
/** RAMPART_STACK (a name or a stack file) lets the test suite run the demo against a throwaway stack. */
const STACK = process.env.RAMPART_STACK ?? "local";
const say = (line: string) => process.stdout.write(`demo: ${line}\n`);

/**
 * The demo identity is public (stacks/local.demo-identity.txt); the demo stores it in the local stack's
 * secret store under posture.secrets.ageIdentity, exactly where `rampart drill` looks on a real server.
 */
async function installDemoIdentity(): Promise<void> {
  const posture = loadPosture(STACK);
  const [identity] = parseIdentities(
    await readFile(new URL("../stacks/local.demo-identity.txt", import.meta.url), "utf8"),
  );
  if (!identity) throw new Error("stacks/local.demo-identity.txt holds no identity");
  const store = await openSecretStore(posture.secrets.store);
  if ((await store.get(posture.secrets.ageIdentity)) !== identity)
    await store.put(posture.secrets.ageIdentity, identity);
}

/** Run the real CLI; stderr (logs) passes through, stdout is returned. */
function rampart(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, stdout }));
  });
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  say("starting a throwaway PostgreSQL");
  const cluster = await startPostgres();
  say(`PostgreSQL ${cluster.url} in ${cluster.dir} (removed at the end)`);
  const onExit = () => cluster.stopSync();
  process.once("exit", onExit);
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query("CREATE DATABASE shop");
    await admin.end();
    say(`loading the sample shop database (${elapsed()})`);
    await loadSampleDatabase(cluster.urlFor("shop"));
    await installDemoIdentity();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: cluster.urlFor("shop"),
      RAMPART_PG_BIN: cluster.bin,
    };
    delete env.RAMPART_AGE_IDENTITY_FILE;

    say(`rampart backup --stack ${STACK} (${elapsed()})`);
    const backup = await rampart(["backup", "--stack", STACK], env);
    process.stdout.write(backup.stdout);
    if (backup.code !== 0) return backup.code;

    say(`rampart drill --stack ${STACK} (${elapsed()})`);
    const drill = await rampart(["drill", "--stack", STACK, "--target", "env:RAMPART_DRILL_URL", "--json"], {
      ...env,
      RAMPART_DRILL_URL: cluster.url,
    });
    const record = JSON.parse(drill.stdout || "null") as {
      outcome: string;
      failure: string | null;
      reportUrls: { html: string; markdown: string };
    } | null;
    if (!record) return drill.code || 1;
    say(`drill ${record.outcome}${record.failure ? `: ${record.failure}` : ""} (${elapsed()} total)`);
    say(`HTML report: ${fileURLToPath(record.reportUrls.html)}`);
    say(`Markdown:    ${fileURLToPath(record.reportUrls.markdown)}`);
    say(`history:     node scripts/cli.ts drill history --stack ${STACK}`);
    return drill.code;
  } finally {
    await cluster.stop();
    process.off("exit", onExit);
  }
}

process.exitCode = await main();
