import type { Command } from "commander";
import { loadPosture } from "../../posture/index.ts";
import { type CliContext, EXIT } from "../lib/cli-kit.ts";
import { createLogger } from "../lib/log.ts";
import { option } from "../lib/options.ts";
import { printResult } from "../lib/output.ts";

export const order = 15;

export function register(program: Command, ctx: CliContext): void {
  program
    .command("plan")
    .description(
      "run the stack's Pulumi program offline (no credentials, no network), check every claim against the policy pack, and print the proof; exit 1 on any violation",
    )
    .addOption(option("stack"))
    .addOption(option("json"))
    .action(
      ctx.action(async (opts: { stack: string; json?: boolean }) => {
        const posture = loadPosture(opts.stack);
        const log = createLogger({}, { command: "plan" });
        log.info("recording the Pulumi program under the mock runtime", { stack: posture.source.stack });
        const { planStack } = await import("../lib/plan/plan.ts");
        const { renderPlan } = await import("../lib/plan/report.ts");
        const plan = await planStack(posture);
        printResult(plan, opts, () => renderPlan(plan));
        return plan.ok ? EXIT.ok : EXIT.failure;
      }),
    );
}
