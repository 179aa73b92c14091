#!/usr/bin/env node
// The CLI edge: wires commander, discovers commands, and sets the exit code exactly once.
import { readdirSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UserError } from "../posture/errors.ts";
import { type CliContext, type CommandModule, EXIT } from "./lib/cli-kit.ts";
import { redact } from "./lib/redact.ts";
import { TOOL_VERSION } from "./lib/version.ts";

const EPILOG = `
Exit codes:
  0  success
  1  failure (a backup, restore, drill or check failed; see stderr)
  2  usage or configuration error (bad flags, invalid stack file)

Logs go to stderr (JSON lines when stderr is not a terminal); results go to stdout (--json for machines).
Secrets are never taken as arguments: DATABASE_URL / PG* env vars, identity files, or the stack's secret store.`;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const ctx: CliContext = {
    action:
      (fn) =>
      async (...args) => {
        code = (await fn(...args)) ?? EXIT.ok;
      },
  };
  const program = new Command("rampart")
    .description("Security posture as code: provision it, run it (backups, drills, rotation), prove it.")
    .version(TOOL_VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EPILOG)
    .exitOverride();

  for (const mod of await loadCommands()) mod.register(program, ctx);

  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    return report(err);
  }
}

async function loadCommands(): Promise<CommandModule[]> {
  const dir = new URL("./commands/", import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
  const mods = await Promise.all(
    files.map(async (f) => (await import(new URL(f, dir).href)) as CommandModule),
  );
  return mods.sort((a, b) => a.order - b.order);
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UserError) {
    process.stderr.write(`rampart: ${redact(err.message)}\n`);
    for (const h of err.hints) process.stderr.write(`HINT: ${redact(h)}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`rampart: internal error (this is a bug):\n${redact(e.stack ?? e.message)}\n`);
  return EXIT.failure;
}

/** The process edge, for bin/rampart (the installed entry) and `node scripts/cli.ts`. */
export async function run(argv: string[]): Promise<void> {
  // A reader that goes away (`rampart ... | head`) is not an error of ours: stop quietly.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  });
  process.exitCode = await main(argv);
}

if (import.meta.main) await run(process.argv.slice(2));
