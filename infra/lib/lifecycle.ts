import type { Posture } from "../../posture/index.ts";

type Lifecycle = Posture["buckets"]["backups"]["lifecycle"];
export type Tier = Lifecycle["tiers"][number]["tier"];

/** Provider-neutral tier → GCS storage class. Objects start in STANDARD. */
export const GCS_STORAGE_CLASS: Readonly<Record<Tier, string>> = {
  infrequent: "NEARLINE",
  cold: "COLDLINE",
  archive: "ARCHIVE",
};

/** Provider-neutral tier → S3 storage class. Objects start in STANDARD. */
export const S3_STORAGE_CLASS: Readonly<Record<Tier, string>> = {
  infrequent: "STANDARD_IA",
  cold: "GLACIER",
  archive: "DEEP_ARCHIVE",
};

export type Transition = { tier: Tier; afterDays: number; gcs: string; s3: string };

/** The posture's tier list as ordered transitions (by days; the schema already rejects out-of-order tiers). */
export function transitions(lifecycle: Lifecycle): Transition[] {
  return [...lifecycle.tiers]
    .sort((a, b) => a.afterDays - b.afterDays)
    .map((t) => ({
      tier: t.tier,
      afterDays: t.afterDays,
      gcs: GCS_STORAGE_CLASS[t.tier],
      s3: S3_STORAGE_CLASS[t.tier],
    }));
}
