import { fileURLToPath } from "node:url";
import { type Command, Option } from "commander";
import { UserError } from "../../posture/errors.ts";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";

export const order = 41;

type Opts = {
  stack: string;
  json?: boolean;
  verbose?: boolean;
  backup: string;
  target?: string;
  identityFile?: string;
  /** Parsed by the shared options table (a positive integer). */
  jobs?: number;
  sentryDsnFile?: string;
};

const HELP = `
The scratch database (rampart_drill_<time>_<hex>) is created on the --target server and dropped afterwards,
also when the drill fails. Checks: every backed-up table exists with the manifest's row count, pg_amcheck,
and the posture's drills.verify queries; then RTO/RPO against drills.rtoMinutes / drills.rpoMinutes.
Exit codes: 0 every check passed and both targets were met; 1 anything else (the record says what).
Evidence: evidence/drills/<id>.json and evidence/drills/reports/<id>.{md,html} in the stack's evidence store.`;

export function register(program: Command, ctx: CliContext): void {
  const drill = program
    .command("drill")
    .description("restore drill: restore into a scratch database, verify, measure RTO/RPO, record evidence")
    .addOption(option("stack"))
    .addOption(option("backup"))
    .addOption(
      new Option(
        "-t, --target <url|env:NAME>",
        "server for the scratch database: a URL of any database on it (default: env RAMPART_DRILL_URL, else DATABASE_URL)",
      ),
    )
    .addOption(option("identityFile"))
    .addOption(option("jobs"))
    .addOption(option("sentryDsnFile"))
    .addOption(option("json"))
    .addOption(option("verbose"))
    .addHelpText("after", HELP)
    .action(ctx.action((opts: Opts) => runDrillCommand(opts)));
  drill
    .command("history")
    .description("past drills from the evidence store, oldest first (takes drill's --stack and --json)")
    // --stack/--json belong to `drill`; commander parses them there even after `history`.
    .action(ctx.action((_opts: unknown, cmd: Command) => history(cmd.optsWithGlobals<Opts>())));
}

function serverSpec(opts: Opts): string {
  if (opts.target) return opts.target;
  if (process.env.RAMPART_DRILL_URL) return "env:RAMPART_DRILL_URL";
  if (process.env.DATABASE_URL) return "env:DATABASE_URL";
  throw new UserError("no server for the drill's scratch database", {
    hint: "pass --target postgres://user@host/postgres or set RAMPART_DRILL_URL (or DATABASE_URL)",
    exitCode: 2,
  });
}

/** Where a report can be opened: a path for file:// stores, the object URL otherwise. */
export const openable = (url: string) => (url.startsWith("file:") ? fileURLToPath(url) : url);

async function runDrillCommand(opts: Opts): Promise<number> {
  const { loadPosture } = await import("../../posture/index.ts");
  const { createLogger } = await import("../lib/log.ts");
  const { printResult } = await import("../lib/output.ts");
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose }).with({ stack: posture.source.stack });
  const jobs = opts.jobs;
  const { openStore } = await import("../lib/store/index.ts");
  const { EvidenceLog } = await import("../lib/evidence.ts");
  const { resolveIdentity } = await import("../lib/identity.ts");
  const { resolveTarget } = await import("../lib/restore/connection.ts");
  const { runDrill } = await import("../lib/drill/run.ts");
  const { formatDuration } = await import("../lib/drill/metrics.ts");
  const { startJobReporter } = await import("../lib/sentry.ts");

  const server = resolveTarget(serverSpec(opts));
  const reporter = await startJobReporter("drill", posture, opts.sentryDsnFile, log);
  reporter?.started();
  try {
    const identity = await resolveIdentity(posture, opts.identityFile);
    const { record, reportUrls } = await runDrill({
      posture,
      store: await openStore(posture.stores.backups),
      evidence: await EvidenceLog.open(posture.stores.evidence),
      server,
      backup: opts.backup,
      identities: identity.identities,
      jobs,
      log,
    });
    const passed = record.outcome === "passed";
    if (!passed)
      reporter?.capture(new Error(`restore drill failed (${posture.source.stack}): ${record.failure}`));
    reporter?.finished(passed ? "ok" : "error");
    printResult({ ...record, reportUrls }, opts, () =>
      [
        `drill ${record.outcome.toUpperCase()}: backup ${record.backup?.id ?? "—"}`,
        `RTO ${formatDuration(record.rto.seconds)} (target ${record.rto.targetMinutes} min, ${record.rto.met ? "met" : "missed"}), RPO ${formatDuration(record.rpo.seconds)} (target ${record.rpo.targetMinutes} min, ${record.rpo.met ? "met" : "missed"})`,
        ...record.checks.map((c) => `  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`),
        ...(record.failure ? [`failure: ${record.failure}`] : []),
        `report: ${openable(reportUrls.html)}`,
      ].join("\n"),
    );
    return passed ? 0 : 1;
  } catch (err) {
    reporter?.capture(err);
    reporter?.finished("error");
    throw err;
  } finally {
    await reporter?.close();
  }
}

async function history(opts: Opts): Promise<number> {
  const { loadPosture } = await import("../../posture/index.ts");
  const { printResult, table } = await import("../lib/output.ts");
  const posture = loadPosture(opts.stack);
  const { EvidenceLog } = await import("../lib/evidence.ts");
  const { drillHistory } = await import("../lib/drill/record.ts");
  const { formatDuration } = await import("../lib/drill/metrics.ts");
  const evidence = await EvidenceLog.open(posture.stores.evidence);
  const drills = await drillHistory(evidence);
  printResult(drills, opts, () =>
    drills.length
      ? table([
          ["STARTED", "OUTCOME", "BACKUP", "RTO", "RPO", "REPORT"],
          ...drills.map((d) => [
            d.startedAt,
            d.outcome,
            d.backup?.id ?? "—",
            `${formatDuration(d.rto.seconds)}${d.rto.met ? "" : " (missed)"}`,
            `${formatDuration(d.rpo.seconds)}${d.rpo.met ? "" : " (missed)"}`,
            openable(`${evidence.store.url}/${d.reports.html}`),
          ]),
        ])
      : `no drills recorded in ${evidence.store.url}`,
  );
  return 0;
}
