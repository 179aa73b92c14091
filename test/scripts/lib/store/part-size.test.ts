import { describe, expect, it } from "vitest";
import { MAX_PARTS, MIN_PART, partSizes, uniformPartSizes } from "../../../../scripts/lib/store/part-size.ts";

const MiB = 1024 * 1024;
const GB = 1e9;
const capacity = (size: (n: number) => number) => {
  let total = 0;
  for (let n = 1; n <= MAX_PARTS; n++) total += size(n);
  return total;
};

describe("partSizes", () => {
  it("starts at S3's 5 MiB and doubles every 2,000 parts, so memory stays small until the object passes 10 GB", () => {
    const size = partSizes(50 * GB);
    expect([1, 2000, 2001, 4001, 6001, 8001, 10_000].map(size)).toEqual(
      [5, 5, 10, 20, 40, 80, 80].map((m) => m * MiB),
    );
    expect(capacity(size)).toBeGreaterThan(300 * GB);
  });

  it.each([undefined, 0, 1, GB, 200 * GB])("keeps 5 MiB first parts for an expected %s bytes", (expected) => {
    expect(partSizes(expected)(1)).toBe(MIN_PART);
  });

  it.each([1, 300, 1000, 10_000, 100_000])(
    "never runs out of parts: 1.5x an expected %d GB fits in 10,000",
    (gb) => {
      const size = partSizes(gb * GB);
      expect(capacity(size)).toBeGreaterThanOrEqual(1.5 * gb * GB);
      for (const n of [1, 2001, 10_000]) {
        expect(size(n) % MiB).toBe(0);
        expect(size(n)).toBeGreaterThanOrEqual(MIN_PART);
      }
    },
  );

  it.each([undefined, GB, 30 * GB, 1000 * GB])(
    "uniform sizes (R2, Garage): one size, 1.5x an expected %s bytes fits",
    (expected) => {
      const size = uniformPartSizes(expected);
      expect(new Set([1, 2, 5000, 10_000].map(size)).size).toBe(1);
      expect(size(1) % MiB).toBe(0);
      expect(size(1)).toBeGreaterThanOrEqual(MIN_PART);
      expect(capacity(size)).toBeGreaterThanOrEqual(1.5 * (expected ?? 0));
    },
  );
});
