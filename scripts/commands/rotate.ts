import { type Command, Option } from "commander";
import { UserError } from "../../posture/errors.ts";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";

export const order = 50;

type Opts = {
  stack: string;
  json?: boolean;
  verbose?: boolean;
  due?: boolean;
  all?: boolean;
  now?: boolean;
  resume?: boolean;
  status?: boolean;
  history?: boolean;
};

export function register(program: Command, ctx: CliContext): void {
  program
    .command("rotate")
    .description("rotate secrets (create → set → test → finish), show their stages, or their audit trail")
    .argument("[secret]", "a secret named under rotation.secrets in the posture")
    .addOption(
      new Option("--due", "rotate every secret whose interval has passed (what the scheduled job runs)"),
    )
    .addOption(new Option("--all", "rotate every secret in the posture"))
    .addOption(
      new Option(
        "--now",
        "incident mode: no overlap waits, revoke old values where possible (with --all: the leaked-credential runbook)",
      ),
    )
    .addOption(new Option("--resume", "finish interrupted or waiting rotations (all, or the named secret)"))
    .addOption(
      new Option("--status", "show every secret's stages, their age, rotations in progress and due dates"),
    )
    .addOption(new Option("--history", "list the rotation audit trail from the evidence store"))
    .addOption(option("stack"))
    .addOption(option("json"))
    .addOption(option("verbose"))
    .addHelpText(
      "after",
      `
Postgres password rotation connects as an admin from RAMPART_ADMIN_DATABASE_URL (or PG* variables;
password via PGPASSWORD or ~/.pgpass). API keys are read from stdin: rampart rotate <name> < key.txt.
Exit code 1 when a secret failed its test or could not be rotated.`,
    )
    .action(ctx.action((secret: string | undefined, opts: Opts) => run(secret, opts)));
}

async function run(secret: string | undefined, opts: Opts): Promise<number> {
  const { loadPosture } = await import("../../posture/index.ts");
  const { createLogger } = await import("../lib/log.ts");
  const { printResult, table } = await import("../lib/output.ts");
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose ?? false });
  if (opts.status) return (await import("../lib/rotation/report.ts")).printStatus(posture, opts);
  if (opts.history) return (await import("../lib/rotation/report.ts")).printHistory(posture, secret, opts);
  const modes = [
    secret !== undefined && !opts.resume,
    opts.due,
    opts.all,
    opts.resume && secret === undefined,
  ].filter(Boolean);
  if (modes.length !== 1 && !(secret && opts.resume))
    throw new UserError("say what to rotate: a secret name, --due, --all or --resume (exactly one)", {
      hint: "rampart rotate --status lists the rotated secrets",
      exitCode: 2,
    });
  const [{ runSelection }, { openSecretStore }, { EvidenceLog }, { evidenceAudit }, { readInput }] =
    await Promise.all([
      import("../lib/rotation/plan.ts"),
      import("../lib/secrets/index.ts"),
      import("../lib/evidence.ts"),
      import("../lib/rotation/audit.ts"),
      import("../lib/rotation/stdin.ts"),
    ]);
  const deps = {
    store: await openSecretStore(posture.secrets.store),
    posture,
    log,
    now: () => new Date(),
    emergency: opts.now === true,
    audit: evidenceAudit(await EvidenceLog.open(posture.stores.evidence)),
    // Only a single named secret can take a pasted value; batches skip api keys and say so.
    ...(secret && !opts.resume ? { readInput } : {}),
  };
  const results = await runSelection(
    deps,
    posture,
    secret
      ? { mode: "one", secret, resume: opts.resume === true }
      : opts.due
        ? { mode: "due" }
        : opts.all
          ? { mode: "all" }
          : { mode: "resume" },
  );
  printResult({ results }, opts, () =>
    table([
      ["SECRET", "KIND", "OUTCOME", "DETAIL"],
      ...results.map((r) => [
        r.secret,
        r.kind,
        r.outcome,
        [r.reason, ...(r.notes ?? [])].filter(Boolean).join("; "),
      ]),
    ]),
  );
  return results.some((r) => r.outcome === "failed" || r.outcome === "not-rotated") ? 1 : 0;
}
