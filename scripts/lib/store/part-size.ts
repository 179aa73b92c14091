const MiB = 1024 * 1024;
/** S3's smallest part (all but the last). */
export const MIN_PART = 5 * MiB;
/** S3's most parts per upload. */
export const MAX_PARTS = 10_000;
/** Parts of one size before the size doubles: 5 steps of 2,000 parts use the 10,000. */
const PARTS_PER_STEP = 2_000;
/** What the schedule holds, in first-part sizes: 2,000 × (1 + 2 + 4 + 8 + 16). */
const CAPACITY_IN_FIRST_PARTS = PARTS_PER_STEP * 31;

/**
 * Part sizes for a multipart upload of about `expectedSize` bytes (the database's size: backups are usually
 * far smaller once compressed). Parts start at 5 MiB and double every 2,000 parts, so memory (a few part
 * buffers) stays at the minimum until the object itself passes 10 GB, whatever the database's size; the
 * first size grows with `expectedSize` only as far as needed for 1.5× it to fit in 10,000 parts (from
 * ~200 GB). Returns the size of part `n` (1-based), whole MiB.
 */
export function partSizes(expectedSize: number | undefined): (n: number) => number {
  const first = wholeMiB(need(expectedSize) / CAPACITY_IN_FIRST_PARTS);
  return (n) => first * 2 ** Math.min(4, Math.floor((n - 1) / PARTS_PER_STEP));
}

/**
 * One part size for the whole upload, for S3-compatible stores that require it (Cloudflare R2 and Garage
 * refuse a multipart upload whose non-trailing parts differ in size): ≥ 5 MiB, and 1.5× `expectedSize` in
 * 9,000 parts (headroom below 10,000). Memory then grows with the database from ~30 GB.
 */
export function uniformPartSizes(expectedSize: number | undefined): (n: number) => number {
  const size = wholeMiB(need(expectedSize) / 9_000);
  return () => size;
}

const need = (expectedSize: number | undefined) => Math.max(0, expectedSize ?? 0) * 1.5;
const wholeMiB = (bytes: number) => Math.max(MIN_PART, Math.ceil(bytes / MiB) * MiB);
