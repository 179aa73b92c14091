import type { Posture } from "../../../posture/index.ts";
import type { RotatedSecret } from "../../../posture/schema/rotation.ts";
import type { Logger } from "../log.ts";
import type { RotationState, SecretStore } from "../secrets/index.ts";

export type RotationContext<S extends RotatedSecret = RotatedSecret> = {
  name: string;
  spec: S;
  store: SecretStore;
  posture: Posture;
  log: Logger;
  now: () => Date;
  /** `--all --now` (incident): do not wait out overlaps; revoke the old value where the kind can. */
  emergency: boolean;
  /** Reads a value a human pastes (api-key). Undefined when nobody is there to paste (scheduled job). */
  readInput?: (prompt: string) => Promise<string>;
  /** The rotation in progress (after create). */
  state: RotationState;
};

/**
 * One kind of secret. The engine calls the four protocol steps; each must be safe to re-run with the
 * same token (the pending value is read back from the store, never regenerated).
 */
export type RotationKind<S extends RotatedSecret = RotatedSecret> = {
  /** Checked before a new rotation starts, so a missing prerequisite leaves nothing half done. */
  preflight?(): void;
  /** Make the new value (create step). `data` is value-free state to keep (e.g. a JWT kid). */
  create(ctx: RotationContext<S>): Promise<{ value: string; data?: Record<string, string> }>;
  /** Apply the pending value to the system that checks it. */
  set(ctx: RotationContext<S>, pending: string): Promise<Record<string, string> | undefined>;
  /** Prove the pending value works; throw to mark it failed. */
  test(ctx: RotationContext<S>, pending: string): Promise<void>;
  /** Why promotion must wait (e.g. the JWKS overlap is not over yet); undefined when it may go ahead. */
  waitReason?(ctx: RotationContext<S>): string | undefined;
  /** After promotion; `previous` is the value that was current. Idempotent. */
  afterPromote?(ctx: RotationContext<S>, previous: string | undefined): Promise<void>;
  /**
   * Re-derive public documents (JWKS, recipient list) from the store and destroy expired material.
   * Runs after every finish or failed test, and on every `--due`. Returns what it changed.
   */
  sync?(ctx: Omit<RotationContext<S>, "state">): Promise<string[]>;
  /** False when a human must supply the value (api-key): skipped by --due, reported by --all --now. */
  unattended: boolean;
};

/** A test step failure: the pending value is marked failed, current stays as it was. */
export class RotationTestFailed extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = "RotationTestFailed";
  }
}
