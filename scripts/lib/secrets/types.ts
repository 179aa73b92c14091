/**
 * One interface over the stack's secret store (AWS Secrets Manager, GCP Secret Manager, a local env file).
 * A secret has staged versions: `current` (what applications read), `pending` (staged by a rotation in
 * progress), `previous` (the one before current, still valid during overlap) and `failed` (a pending
 * version whose test failed; kept for forensics, never read by applications).
 *
 * The rotation in progress is described by a small, value-free RotationState stored with the pending
 * version (AWS: tags, GCP: annotations, env file: a sidecar JSON), so `rampart rotate --resume` can pick
 * up after the process was killed at any point.
 */
export type Stage = "current" | "pending" | "previous" | "failed";
export type ReadableStage = "current" | "pending" | "previous";

export const STEPS = ["create", "set", "test", "finish"] as const;
export type Step = (typeof STEPS)[number];

/** Never holds a secret value: it is shown by --status and written to the audit trail. */
export type RotationState = {
  token: string;
  kind: string;
  /** The last step that completed. */
  step: Step;
  startedAt: string;
  updatedAt: string;
  /** Kind-specific, value-free facts (e.g. the JWT kid, when the JWKS was published). */
  data: Record<string, string>;
};

export type VersionInfo = { id: string; stages: Stage[]; createdAt: Date };

export interface SecretStore {
  readonly url: string;
  /** The value at a stage, or undefined when the secret or the stage does not exist. */
  get(name: string, stage?: ReadableStage): Promise<string | undefined>;
  /** Versions that carry a stage (values not included). */
  versions(name: string): Promise<VersionInfo[]>;
  /** The rotation in progress (pending version metadata), if any. */
  state(name: string): Promise<RotationState | undefined>;
  /**
   * Stage `value` as the pending version of `name`, keyed by `state.token`. Idempotent: when a pending
   * version with this token exists it is kept as is (the value is not replaced).
   */
  stagePending(name: string, value: string, state: RotationState): Promise<void>;
  /** Update the state of the pending version with `state.token`. */
  saveState(name: string, state: RotationState): Promise<void>;
  /** pending -> current, current -> previous, state cleared. Idempotent: no-op when `token` is current. */
  promote(name: string, token: string): Promise<void>;
  /** pending -> failed (current untouched), state cleared. Idempotent. */
  fail(name: string, token: string): Promise<void>;
  /**
   * Destroy every version except current and pending (key material that must be gone, e.g. an expired
   * age identity). AWS cannot delete single versions: it drops their labels and Secrets Manager deletes
   * unlabeled versions itself.
   */
  purge(name: string): Promise<void>;
  /** Write a non-rotated document (JWKS, recipient list): new current, old current -> previous. */
  put(name: string, value: string): Promise<void>;
}
