import type { Command } from "commander";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";
import { redactedMessage } from "../lib/redact.ts";
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
    .addOption(option("sentryDsnFile"))
    .addHelpText("after", HELP)
    .action(ctx.action((opts: Opts) => backup(opts)));
}

async function backup(opts: Opts): Promise<number> {
  // Everything the run needs loads here, not at registration: `rampart --help` stays cheap.
  const { loadPosture } = await import("../../posture/index.ts");
  const { createLogger } = await import("../lib/log.ts");
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose }).with({ job: "backup", stack: posture.source.stack });
  const [
    { connInfoFromEnv },
    { pgTool },
    { openStore },
    { runBackup },
    { currentRecipients },
    { startJobReporter },
    { formatBytes, printResult },
  ] = await Promise.all([
    import("../lib/pg/conninfo.ts"),
    import("../lib/pg/dump.ts"),
    import("../lib/store/index.ts"),
    import("../lib/backup/run.ts"),
    import("../lib/rotation/age-identity.ts"),
    import("../lib/sentry.ts"),
    import("../lib/output.ts"),
  ]);

  const conn = connInfoFromEnv();
  // Independent lookups overlap: recipients (maybe the secret store), the store's SDK, the Sentry DSN.
  // Their failures still surface inside the try below, as before, where they are reported.
  const recipients = currentRecipients(posture);
  const store = openStore(posture.stores.backups);
  for (const p of [recipients, store]) p.catch(() => {});
  const reporter = await startJobReporter("backup", posture, opts.sentryDsnFile, log);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}`));
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    const result = await runBackup({
      posture,
      recipients: await recipients,
      conn,
      store: await store,
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
    if (opts.json) printResult({ status: "failed", error: redactedMessage(err) }, opts, () => "");
    throw err;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await reporter?.close();
  }
}
