import { randomUUID } from "node:crypto";
import { UserError } from "../../../posture/errors.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { redact } from "../redact.ts";
import { type RotationState, STEPS, type Step } from "../secrets/index.ts";
import type { Audit } from "./audit.ts";
import { crashPoint } from "./crash.ts";
import { kindOf } from "./kinds.ts";
import { type RotationContext, RotationTestFailed } from "./types.ts";

export type RotationOutcome = "rotated" | "waiting" | "failed" | "not-rotated" | "nothing-to-do";
export type RotationResult = {
  secret: string;
  kind: string;
  outcome: RotationOutcome;
  token?: string;
  /** Last completed step. */
  step?: Step;
  reason?: string;
  notes?: string[];
};

export type EngineDeps = Omit<RotationContext, "name" | "spec" | "state"> & { audit: Audit };

/**
 * Runs the four-step protocol for one secret. `start`: begin a new rotation (refused while one is in
 * progress); `continue`: finish the rotation in progress (--resume), or do nothing when there is none;
 * `either`: continue if one is in progress, else start (--due, --all --now).
 */
export async function rotate(
  deps: EngineDeps,
  name: string,
  spec: RotatedSecret,
  mode: "start" | "continue" | "either",
): Promise<RotationResult> {
  const kind = kindOf(spec);
  const { store, audit } = deps;
  const base = { secret: name, kind: spec.kind };
  let state = await store.state(name);
  if (state && mode === "start")
    throw new UserError(
      `a rotation of ${name} is already in progress (token ${state.token}, after ${state.step})`,
      {
        hint: `finish it with: rampart rotate ${name} --resume`,
      },
    );
  if (!state && mode === "continue") return { ...base, outcome: "nothing-to-do" };
  if (!state && !kind.unattended && !deps.readInput)
    return { ...base, outcome: "not-rotated", reason: "needs a human to paste the new value" };

  if (!state) kind.preflight?.();
  const ctxFor = (s: RotationState): RotationContext => ({ ...deps, name, spec, state: s });
  const persist = async (step: Step, data: Record<string, string> = {}) => {
    const now = deps.now().toISOString();
    const s: RotationState = {
      ...(state as RotationState),
      step,
      updatedAt: now,
      data: { ...state?.data, ...data },
    };
    await store.saveState(name, s);
    state = s;
  };
  const done = async (step: Step, outcome: "ok" | "failed" = "ok", detail?: string) => {
    await audit({
      secretName: name,
      secretKind: spec.kind,
      step,
      rotationToken: (state as RotationState).token,
      outcome,
      ...(detail ? { detail } : {}),
    });
    deps.log.info(`${name}: ${step} ${outcome}`, {
      rotationToken: state?.token,
      ...(detail ? { detail } : {}),
    });
    if (outcome === "ok") crashPoint(step);
  };

  let pending = state ? await store.get(name, "pending") : undefined;
  if (!state || pending === undefined) {
    // A new rotation, or a create that died before its value was staged: (re)stage under the same token.
    const now = deps.now().toISOString();
    const fresh: RotationState = state ?? {
      token: randomUUID(),
      kind: spec.kind,
      step: "create",
      startedAt: now,
      updatedAt: now,
      data: {},
    };
    const made = await kind.create(ctxFor(fresh));
    state = { ...fresh, step: "create", data: { ...fresh.data, ...made.data } };
    await store.stagePending(name, made.value, state);
    pending = (await store.get(name, "pending")) ?? made.value;
    await done("create");
  }

  for (const step of STEPS.slice(STEPS.indexOf(state.step) + 1)) {
    const ctx = ctxFor(state);
    if (step === "set") {
      await persist("set", (await kind.set(ctx, pending)) ?? {});
      await done("set");
    } else if (step === "test") {
      try {
        await kind.test(ctx, pending);
      } catch (err) {
        if (!(err instanceof RotationTestFailed) && !(err instanceof UserError)) throw err;
        const reason = redact(err.message);
        await store.fail(name, state.token);
        await done("test", "failed", reason);
        const notes = (await kind.sync?.({ ...deps, name, spec })) ?? [];
        return { ...base, outcome: "failed", token: state.token, step: "set", reason, notes };
      }
      await persist("test");
      await done("test");
    } else {
      const previous = await store.get(name);
      // No current value means nothing signs/serves yet: there is nothing to overlap with.
      const wait = deps.emergency || previous === undefined ? undefined : kind.waitReason?.(ctx);
      if (wait) return { ...base, outcome: "waiting", token: state.token, step: state.step, reason: wait };
      await store.promote(name, state.token);
      await kind.afterPromote?.(ctx, previous);
      const notes = (await kind.sync?.({ ...deps, name, spec })) ?? [];
      await done("finish");
      return { ...base, outcome: "rotated", token: state.token, step: "finish", notes };
    }
  }
  throw new Error(`unreachable: rotation of ${name} ended after ${state.step}`);
}
