import { type Command, Option } from "commander";
import { loadPosture } from "../../posture/index.ts";
import type { CliContext } from "../lib/cli-kit.ts";
import { createLogger } from "../lib/log.ts";
import { option } from "../lib/options.ts";
import { formatBytes, printResult } from "../lib/output.ts";
import { redact } from "../lib/redact.ts";
import { TOOL_VERSION } from "../lib/version.ts";

export const order = 30;

type Opts = { stack: string; json?: boolean; verbose?: boolean; sentryDsnFile?: string };

const HELP = `
The target database comes from DATABASE_URL (or PGHOST/PGPORT/PGUSER/PGDATABASE); the password from the URL,
PGPASSWORD or ~/.pgpass — never from arguments. pg_dump is taken from RAMPART_PG_BIN, else PATH.

Exit codes: 0 backup stored and listed, or skipped because another backup of the same database is running
(status "skipped": a scheduled overlap is not a failure; no Sentry check-in is sent for it, so if the other
run does not check in either, Sentry reports the slot as missed); 1 the backup failed and nothing was kept.`;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("backup")
    .description("back up the database: pg_dump → zstd → age → store, then a manifest (see BACKUP.md)")
    .addOption(option("stack"))
    .addOption(option("json"))
    .addOption(option("verbose"))
    .addOption(
      new Option(
        "--sentry-dsn-file <path>",
        "file holding the Sentry DSN (default: env SENTRY_DSN, else the secret monitoring.sentryDsnSecret)",
      ).env("RAMPART_SENTRY_DSN_FILE"),
    )
    .addHelpText("after", HELP)
    .action(ctx.action((opts: Opts) => backup(opts)));
}

async function backup(opts: Opts): Promise<number> {
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose }).with({ job: "backup", stack: posture.source.stack });
  const { connInfoFromEnv } = await import("../lib/pg/conninfo.ts");
  const { pgTool } = await import("../lib/pg/dump.ts");
  const { openStore } = await import("../lib/store/index.ts");
  const { runBackup } = await import("../lib/backup/run.ts");
  const { currentRecipients } = await import("../lib/rotation/age-identity.ts");
  const { startJobReporter } = await import("../lib/sentry.ts");

  const conn = connInfoFromEnv();
  const reporter = await startJobReporter("backup", posture, opts.sentryDsnFile, log);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}`));
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    const result = await runBackup({
      posture,
      recipients: await currentRecipients(posture),
      conn,
      store: await openStore(posture.stores.backups),
      log,
      pgDump: pgTool("pg_dump"),
      toolVersion: TOOL_VERSION,
      signal: abort.signal,
      onLocked: () => reporter?.started(),
    });
    if (result.status === "ok") reporter?.finished("ok");
    printResult(result, opts, () =>
      result.status === "ok"
        ? `backup ${result.id} stored: ${formatBytes(result.manifest.rawBytes)} dumped, ${formatBytes(result.manifest.storedBytes)} stored at ${result.store}/${result.object}`
        : `backup skipped: ${result.reason} (database ${result.database})`,
    );
    return 0;
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err), { stage: "failed" });
    reporter?.capture(err);
    reporter?.finished("error");
    if (opts.json)
      printResult(
        { status: "failed", error: redact(err instanceof Error ? err.message : String(err)) },
        opts,
        () => "",
      );
    throw err;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await reporter?.close();
  }
}
