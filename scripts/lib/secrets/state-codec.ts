import type { RotationState, Step } from "./types.ts";

/**
 * RotationState as flat string fields, for stores that keep metadata as key/value strings (AWS tags,
 * GCP annotations). `data` is base64url JSON so it fits tag character rules.
 */
export const STATE_KEYS = ["token", "kind", "step", "startedAt", "updatedAt", "data"] as const;

export function encodeState(s: RotationState): Record<(typeof STATE_KEYS)[number], string> {
  return {
    token: s.token,
    kind: s.kind,
    step: s.step,
    startedAt: s.startedAt,
    updatedAt: s.updatedAt,
    data: Buffer.from(JSON.stringify(s.data)).toString("base64url"),
  };
}

export function decodeState(
  get: (key: (typeof STATE_KEYS)[number]) => string | undefined,
): RotationState | undefined {
  const token = get("token");
  const step = get("step");
  if (!token || !step) return undefined;
  return {
    token,
    kind: get("kind") ?? "",
    step: step as Step,
    startedAt: get("startedAt") ?? "",
    updatedAt: get("updatedAt") ?? "",
    data: JSON.parse(Buffer.from(get("data") ?? "", "base64url").toString() || "{}") as Record<
      string,
      string
    >,
  };
}
