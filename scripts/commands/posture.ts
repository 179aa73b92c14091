import type { Command } from "commander";
import type { CliContext } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";

export const order = 10;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("posture")
    .description("validate a stack's posture and print it with the claims it makes")
    .addOption(option("stack"))
    .addOption(option("json"))
    .action(
      ctx.action(async (opts: { stack: string; json?: boolean }) => {
        const { claimsFor, loadPosture, notApplicable } = await import("../../posture/index.ts");
        const { printResult } = await import("../lib/output.ts");
        const posture = loadPosture(opts.stack);
        const claims = claimsFor(posture);
        printResult({ posture, claims, notApplicable: notApplicable(posture) }, opts, () =>
          [
            `${posture.name} — stack ${posture.source.stack} (${posture.profile}), ${posture.source.file}`,
            `backups → ${posture.stores.backups}`,
            `evidence → ${posture.stores.evidence}`,
            "",
            ...claims.map(
              (c) =>
                `[${c.id}] ${c.sentence}\n    proven by: ${c.proofs.map((p) => `${p.kind} (${p.by})`).join("; ")}`,
            ),
          ].join("\n"),
        );
        return 0;
      }),
    );
}
