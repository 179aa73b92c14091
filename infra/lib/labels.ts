import type { Posture } from "../../posture/index.ts";
import { slug } from "./naming.ts";

/** GCP label values: lowercase letters, digits, `_` and `-`, at most 63 characters. AWS/Hetzner accept them too. */
const labelValue = (v: string) => slug(v).slice(0, 63);

/**
 * Standard labels (GCP) / tags (AWS, Hetzner) on every resource that takes them, so an auditor can
 * find everything a stack owns: `app`, `stack`, `profile`, `managed-by=rampart`, and `role` when given.
 */
export function standardLabels(posture: Posture, role?: string): Record<string, string> {
  return {
    app: labelValue(posture.name),
    stack: labelValue(posture.source.stack),
    profile: posture.profile,
    "managed-by": "rampart",
    ...(role ? { role: labelValue(role) } : {}),
  };
}
