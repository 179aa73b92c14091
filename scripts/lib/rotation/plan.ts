import { UserError } from "../../../posture/errors.ts";
import type { Posture } from "../../../posture/index.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import { type EngineDeps, type RotationResult, rotate } from "./engine.ts";
import { emergencyOrder, kindOf } from "./kinds.ts";
import { secretStatus } from "./schedule.ts";

export type Selection =
  | { mode: "one"; secret: string; resume: boolean }
  | { mode: "resume" }
  | { mode: "due" }
  | { mode: "all" };

export type Rotated = { name: string; spec: RotatedSecret };

export function postureSecrets(posture: Posture): Rotated[] {
  return Object.entries(posture.rotation.secrets).map(([name, spec]) => ({ name, spec }));
}

export function pick(posture: Posture, name: string): Rotated {
  const spec = posture.rotation.secrets[name];
  if (!spec) {
    const known = Object.keys(posture.rotation.secrets);
    throw new UserError(`${name} is not a rotated secret in ${posture.source.file}`, {
      hint: known.length
        ? `rotated secrets: ${known.join(", ")}`
        : "add it under rotation.secrets in the posture",
      exitCode: 2,
    });
  }
  return { name, spec };
}

/**
 * Rotate a selection of secrets. A single named secret throws on error; batches (--resume, --due,
 * --all) go on with the next secret and report each failure, so one broken secret never blocks the rest.
 */
export async function runSelection(
  deps: EngineDeps,
  posture: Posture,
  sel: Selection,
): Promise<RotationResult[]> {
  if (sel.mode === "one")
    return [
      await rotate(deps, sel.secret, pick(posture, sel.secret).spec, sel.resume ? "continue" : "start"),
    ];
  const all = postureSecrets(posture);
  const secrets = sel.mode === "all" ? emergencyOrder(all) : all;
  const results: RotationResult[] = [];
  for (const { name, spec } of secrets) {
    try {
      results.push(await rotateInBatch(deps, name, spec, sel.mode));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      deps.log.error(`${name}: not rotated: ${reason}`);
      results.push({ secret: name, kind: spec.kind, outcome: "not-rotated", reason });
    }
  }
  return results;
}

async function rotateInBatch(
  deps: EngineDeps,
  name: string,
  spec: RotatedSecret,
  mode: "resume" | "due" | "all",
): Promise<RotationResult> {
  if (mode === "resume") return rotate(deps, name, spec, "continue");
  if (mode === "all") return rotate(deps, name, spec, "either");
  const status = await secretStatus(deps.store, name, spec, deps.now());
  if (status.inProgress || status.due) return rotate(deps, name, spec, "either");
  // Not due: still retire what has expired (old JWKS keys, age identities past retention).
  const notes = (await kindOf(spec).sync?.({ ...deps, name, spec })) ?? [];
  return {
    secret: name,
    kind: spec.kind,
    outcome: "nothing-to-do",
    ...(notes.length ? { notes } : {}),
    ...(status.dueAt ? { reason: `due ${status.dueAt}` } : {}),
  };
}
