import { UserError } from "../../../posture/errors.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { registerSecret } from "../redact.ts";
import { type RotationKind, RotationTestFailed } from "./types.ts";

type Spec = Extract<RotatedSecret, { kind: "api-key" }>;

/**
 * Third-party API key: a guided runbook step. A human creates the key in the vendor's console and pipes
 * it in on stdin; rampart stages it, proves it with the configured HTTP check, and promotes it. The old
 * key stays as `previous` — revoke it in the vendor's console once the new one is live.
 */
export const apiKey: RotationKind<Spec> = {
  unattended: false,

  async create(ctx) {
    if (!ctx.readInput) throw new UserError(`${ctx.name}: an api-key rotation needs the new key on stdin`);
    const value = (
      await ctx.readInput(
        `Create a new key for ${ctx.name} in the vendor's console, then paste it and press Enter (or pipe it on stdin):`,
      )
    ).trim();
    if (!value)
      throw new UserError(`${ctx.name}: no key was given on stdin`, {
        hint: `run: rampart rotate ${ctx.name} < new-key.txt   (the key itself never goes on the command line)`,
        exitCode: 2,
      });
    registerSecret(value);
    return { value };
  },

  // The vendor's console already holds the key: nothing to apply.
  async set() {
    return undefined;
  },

  async test(ctx, pending) {
    const { url, header, prefix, expectStatus } = ctx.spec.check;
    let status: number;
    try {
      const res = await fetch(url, {
        headers: { [header]: `${prefix}${pending}` },
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      throw new RotationTestFailed(`the check ${url} did not answer: ${(err as Error).message}`);
    }
    if (status !== expectStatus)
      throw new RotationTestFailed(`the check ${url} answered ${status}, expected ${expectStatus}`);
  },

  async afterPromote(ctx) {
    ctx.log.warn(`${ctx.name}: the new key is live; revoke the previous key in the vendor's console`);
  },
};
