import { createHash } from "node:crypto";
import type { Posture } from "../../posture/index.ts";

/** Lowercase DNS-label style: a-z, 0-9 and single dashes, starting with a letter. */
export function slug(text: string): string {
  const s = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(s) ? s : `r-${s}`.replace(/-+$/, "");
}

/**
 * Physical name for a provider resource: `<product>-<role>`, e.g. `numezis-backup`.
 * Names longer than `max` (GCP service account ids: 30) are cut and get a short hash suffix, so two
 * long roles never collide and the same inputs always give the same name.
 */
export function resourceName(posture: Posture, role: string, max = 63): string {
  const full = `${slug(posture.name)}-${slug(role)}`;
  if (full.length <= max) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  return `${full.slice(0, max - 7).replace(/-+$/, "")}-${hash}`;
}
