import type { Posture } from "../../posture/index.ts";
import { str } from "./props.ts";
import type { Subject } from "./types.ts";

export type BucketRole = "backups" | "evidence" | "uploads";
const ROLES: readonly BucketRole[] = ["backups", "evidence", "uploads"];

/** A bucket's physical name: GCS `name`, S3 `bucket`; the recorded id or logical name when autonamed. */
export const bucketName = (b: Subject): string => str(b.props.bucket) ?? str(b.props.name) ?? b.id ?? b.name;

/** Which posture bucket this is, by its physical name (then by its logical name, e.g. "backups-bucket"). */
export function bucketRole(b: Subject, p: Posture): BucketRole | undefined {
  const name = bucketName(b);
  const byName = ROLES.find((role) => p.buckets[role]?.name !== undefined && p.buckets[role]?.name === name);
  return byName ?? ROLES.find((role) => b.name.includes(role));
}

export const bucketSpec = (role: BucketRole | undefined, p: Posture) =>
  role ? (p.buckets[role] ?? undefined) : undefined;

/**
 * S3 v7 configures a bucket through side resources (BucketVersioning, BucketPolicy, ...) whose `bucket`
 * input is the bucket's name or id. The side resources of `bucket` among `rs`.
 */
export function sideResources(bucket: Subject, rs: readonly Subject[], type: string): Subject[] {
  const keys = new Set([bucketName(bucket), bucket.id, bucket.name].filter((k) => k !== undefined));
  return rs.filter((r) => r.type === type && keys.has(str(r.props.bucket) ?? ""));
}
