import { describe, expect, it } from "vitest";
import { restoreProgressLine } from "../../../../scripts/lib/restore/progress.ts";

const MiB = 1 << 20;

describe("restoreProgressLine", () => {
  it("says how much is decoded of the archive, and how fast", () => {
    expect(restoreProgressLine({ decoded: 300 * MiB, total: 1200 * MiB, secs: 2 })).toBe(
      "decoded 300.0 MiB / 1.2 GiB, 150.0 MiB/s",
    );
  });

  it("leaves the rate out before any time has passed, and once everything is decoded", () => {
    expect(restoreProgressLine({ decoded: 0, total: 5 * MiB, secs: 0 })).toBe("decoded 0 B / 5.0 MiB");
    expect(restoreProgressLine({ decoded: 5 * MiB, total: 5 * MiB, secs: 60 })).toBe(
      "decoded 5.0 MiB / 5.0 MiB",
    );
  });

  it("counts the tables loaded while decoding, then says the indexes and constraints are being built", () => {
    const tables = { loaded: 3, tables: 40, postData: false };
    expect(restoreProgressLine({ decoded: MiB, total: 2 * MiB, secs: 1, tables })).toBe(
      "decoded 1.0 MiB / 2.0 MiB, 1.0 MiB/s; table data 3/40 loaded",
    );
    expect(
      restoreProgressLine({
        decoded: 2 * MiB,
        total: 2 * MiB,
        secs: 2,
        tables: { loaded: 40, tables: 40, postData: true },
      }),
    ).toBe("decoded 2.0 MiB / 2.0 MiB; table data 40/40 loaded; building indexes and constraints");
  });
});
