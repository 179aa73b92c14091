// restoreBackup checks the target while it downloads: which error a user sees when one or both fail.
import { describe, expect, it } from "vitest";
import { bothOrFirstFailure } from "../../../../scripts/lib/restore/index.ts";

const ok = <T>(value: T): PromiseSettledResult<T> => ({ status: "fulfilled", value });
const failed = (reason: unknown): PromiseSettledResult<never> => ({ status: "rejected", reason });

describe("bothOrFirstFailure", () => {
  it("gives both results when both passed", () => {
    const also: unknown[] = [];
    expect(bothOrFirstFailure([ok("target"), ok("/tmp/object")], (r) => also.push(r))).toEqual([
      "target",
      "/tmp/object",
    ]);
    expect(also).toEqual([]);
  });

  it("reports a refused target when the refusal stopped the download (same reason)", () => {
    const refused = new Error("refusing to restore into db: it is not empty");
    const also: unknown[] = [];
    expect(() => bothOrFirstFailure([failed(refused), failed(refused)], (r) => also.push(r))).toThrow(
      refused,
    );
    expect(also).toEqual([]);
  });

  it("reports a refused target when the download finished", () => {
    const refused = new Error("refusing to restore into db: it is not empty");
    expect(() => bothOrFirstFailure([failed(refused), ok("/tmp/object")], () => {})).toThrow(refused);
  });

  it("reports the download's own failure (an integrity failure) first, and the target's beside it", () => {
    const refused = new Error("cannot connect to the target db");
    const integrity = new Error("backup X failed its integrity check: refusing to decrypt or restore it");
    const also: unknown[] = [];
    expect(() => bothOrFirstFailure([failed(refused), failed(integrity)], (r) => also.push(r))).toThrow(
      integrity,
    );
    expect(also).toEqual([refused]);
  });

  it("reports the download's failure when the target passed", () => {
    const integrity = new Error("failed its integrity check");
    const also: unknown[] = [];
    expect(() => bothOrFirstFailure([ok("target"), failed(integrity)], (r) => also.push(r))).toThrow(
      integrity,
    );
    expect(also).toEqual([]);
  });
});
