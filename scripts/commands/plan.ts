import type { Command } from "commander";
import { type CliContext, EXIT } from "../lib/cli-kit.ts";
import { option } from "../lib/options.ts";

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
        const { loadPosture } = await import("../../posture/index.ts");
        const { createLogger } = await import("../lib/log.ts");
        const { printResult } = await import("../lib/output.ts");
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
