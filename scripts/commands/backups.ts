import type { Command } from "commander";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";

export const order = 31;

type Opts = { stack: string; json?: boolean; verbose?: boolean; dryRun?: boolean };

export function register(program: Command, ctx: CliContext): void {
  const backups = program.command("backups").description("list and prune the stack's backups");
  backups
    .command("list")
    .description("complete backups (those with a manifest), oldest first")
    .addOption(option("stack"))
    .addOption(option("json"))
    .action(ctx.action((opts: Opts) => list(opts)));
  backups
    .command("prune")
    .description("delete backups the posture's grandfather-father-son retention no longer keeps")
    .addOption(option("stack"))
    .addOption(option("json"))
    .addOption(option("verbose"))
    .addOption(option("dryRun"))
    .action(ctx.action((opts: Opts) => prune(opts)));
}

async function list(opts: Opts): Promise<number> {
  const { loadPosture } = await import("../../posture/index.ts");
  const { formatBytes, printResult, table } = await import("../lib/output.ts");
  const posture = loadPosture(opts.stack);
  const { openStore } = await import("../lib/store/index.ts");
  const { readCatalog } = await import("../lib/backup/catalog.ts");
  const catalog = await readCatalog(await openStore(posture.stores.backups));
  printResult({ store: posture.stores.backups, ...catalog }, opts, () =>
    [
      catalog.backups.length
        ? table([
            ["ID", "SNAPSHOT", "DUMPED", "STORED", "TABLES"],
            ...catalog.backups.map((m) => [
              m.id,
              m.snapshotTime,
              formatBytes(m.rawBytes),
              formatBytes(m.storedBytes),
              String(Object.keys(m.tables).length),
            ]),
          ])
        : `no backups in ${posture.stores.backups}`,
      ...catalog.incomplete.map((id) => `incomplete (no manifest, not a backup): ${id}`),
      ...catalog.invalid.map((i) => `invalid manifest ${i.key}: ${i.problem}`),
    ].join("\n"),
  );
  return 0;
}

async function prune(opts: Opts): Promise<number> {
  const { describeRetention, loadPosture } = await import("../../posture/index.ts");
  const { createLogger } = await import("../lib/log.ts");
  const { printResult } = await import("../lib/output.ts");
  const posture = loadPosture(opts.stack);
  const log = createLogger({ verbose: opts.verbose }).with({ job: "prune", stack: posture.source.stack });
  const { openStore } = await import("../lib/store/index.ts");
  const { prune: run } = await import("../lib/backup/prune.ts");
  const result = await run(await openStore(posture.stores.backups), posture.backups.retention, {
    dryRun: opts.dryRun === true,
    now: new Date(),
    log,
  });
  printResult(result, opts, () =>
    [
      `retention: ${describeRetention(posture.backups.retention)}`,
      ...result.kept.map((k) => `keep    ${k.id}  (${k.reasons.join(", ")})`),
      ...result.deleted.map((id) => `${opts.dryRun ? "would delete" : "deleted"} ${id}`),
      ...result.refused.map((r) => `REFUSED ${r.id}: ${r.reason} (${r.detail}) — kept, still listed`),
      ...result.invalid.map((i) => `left alone, invalid manifest ${i.key}: ${i.problem}`),
    ].join("\n"),
  );
  // Refused deletes (object lock) are expected while the lock lasts: reported, not a failed run.
  return 0;
}
