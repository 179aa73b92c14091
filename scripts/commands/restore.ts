import { type Command, Option } from "commander";
import { UserError } from "../../posture/errors.ts";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";
import { redactedMessage } from "../lib/redact.ts";

export const order = 40;

type Opts = {
  stack: string;
  json?: boolean;
  verbose?: boolean;
  backup: string;
  target?: string;
  toFile?: string;
  identityFile?: string;
  /** Parsed by the shared options table (a positive integer). */
  jobs?: number;
  clean?: boolean;
  keepOwners?: boolean;
  forceSource?: boolean;
};

const HELP = `
Steps: fetch the manifest → download the object while hashing it → refuse on a SHA-256 mismatch → age-decrypt
→ decompress → pg_restore --exit-on-error --jobs N --no-owner. The target must be an existing, empty database
(--clean to restore over one that is not); never the backup's own source unless --force-source.
Every restore, failed or not, is recorded in the stack's evidence store (evidence/restores/). See BACKUP.md.`;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("restore")
    .description("restore a backup into a database (or decrypt it to a file) — an audited event")
    .addOption(option("stack"))
    .addOption(option("backup"))
    .addOption(option("target"))
    .addOption(
      new Option("--to-file <path>", "write the decrypted pg_dump archive here instead (pg_restore -l it)"),
    )
    .addOption(option("identityFile"))
    .addOption(option("jobs"))
    .addOption(new Option("--clean", "drop the backup's objects in the target before recreating them"))
    .addOption(new Option("--keep-owners", "keep object owners from the dump (default: --no-owner)"))
    .addOption(new Option("--force-source", "allow restoring into what looks like the backup's own source"))
    .addOption(option("json"))
    .addOption(option("verbose"))
    .addHelpText("after", HELP)
    .action(ctx.action((opts: Opts) => restore(opts)));
}

async function restore(opts: Opts): Promise<number> {
  if (!opts.target === !opts.toFile)
    throw new UserError("pass exactly one of --target <url|env:NAME> and --to-file <path>", { exitCode: 2 });
  // Everything the run needs loads here, not at registration: `rampart --help` stays cheap.
  const { loadPosture } = await import("../../posture/index.ts");
  const { createLogger } = await import("../lib/log.ts");
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose }).with({ job: "restore", stack: posture.source.stack });
  const jobs = opts.jobs;
  const [
    { formatBytes, printResult },
    { openStore },
    { EvidenceLog },
    { resolveIdentity },
    { resolveTarget },
    { describeConn },
    { restoreBackup },
    { RESTORE_KIND },
  ] = await Promise.all([
    import("../lib/output.ts"),
    import("../lib/store/index.ts"),
    import("../lib/evidence.ts"),
    import("../lib/identity.ts"),
    import("../lib/restore/connection.ts"),
    import("../lib/pg/conninfo.ts"),
    import("../lib/restore/index.ts"),
    import("../lib/drill/record.ts"),
  ]);

  const target = opts.target ? resolveTarget(opts.target) : undefined;
  const evidence = await EvidenceLog.open(posture.stores.evidence);
  const started = new Date();
  const audit: Record<string, unknown> = {
    stack: posture.source.stack,
    backupRequested: opts.backup,
    target: target ? describeConn(target) : null,
    toFile: opts.toFile ?? null,
    options: {
      clean: !!opts.clean,
      keepOwners: !!opts.keepOwners,
      forceSource: !!opts.forceSource,
      jobs: jobs ?? null,
    },
    startedAt: started.toISOString(),
  };
  try {
    const identity = await resolveIdentity(posture, opts.identityFile);
    audit.identitySource = identity.source;
    const result = await restoreBackup({
      store: await openStore(posture.stores.backups),
      backup: opts.backup,
      identities: identity.identities,
      target,
      toFile: opts.toFile,
      jobs,
      clean: opts.clean,
      keepOwners: opts.keepOwners,
      forceSource: opts.forceSource,
      log,
    });
    Object.assign(audit, {
      outcome: "restored",
      backup: result.manifest.id,
      snapshotTime: result.manifest.snapshotTime,
      sha256: result.manifest.sha256,
      targetServer: result.target,
      seconds: Math.round(result.ms.total) / 1000,
    });
    const key = await evidence.record(RESTORE_KIND, result.manifest.id, audit);
    printResult(
      { status: "restored", ...audit, evidence: `${evidence.store.url}/${key}`, ms: result.ms },
      opts,
      () =>
        [
          `restored backup ${result.manifest.id} (snapshot ${result.manifest.snapshotTime}, ${formatBytes(result.dumpBytes)} dump) ${target ? `into ${describeConn(target)}` : `to ${opts.toFile}`} in ${(result.ms.total / 1000).toFixed(1)}s`,
          `recorded: ${evidence.store.url}/${key}`,
        ].join("\n"),
    );
    return 0;
  } catch (err) {
    Object.assign(audit, {
      outcome: "failed",
      error: redactedMessage(err),
    });
    // The attempt is an audited event too; a failure to record it must not hide the restore's own error.
    await evidence.record(RESTORE_KIND, `failed-${opts.backup}`, audit).catch((e: Error) => {
      log.error(`could not record the failed restore in ${evidence.store.url}: ${e.message}`);
    });
    throw err;
  }
}
