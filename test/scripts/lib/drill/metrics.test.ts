import { describe, expect, it } from "vitest";
import { formatDuration, measureObjectives } from "../../../../scripts/lib/drill/metrics.ts";

const at = (iso: string) => new Date(iso);

describe("measureObjectives", () => {
  it("RTO is drill start → verified, RPO is snapshot → drill start, each against its target", () => {
    const { rto, rpo } = measureObjectives({
      startedAt: at("2026-11-01T06:00:00Z"),
      verifiedAt: at("2026-11-01T06:12:30Z"),
      snapshotTime: at("2026-11-01T04:00:00Z"),
      rtoMinutes: 10,
      rpoMinutes: 300,
    });
    expect(rto).toEqual({ seconds: 750, targetMinutes: 10, met: false });
    expect(rpo).toEqual({ seconds: 7200, targetMinutes: 300, met: true });
  });

  it("a target met exactly is met; a drill that never verified has no RTO and misses it", () => {
    const { rto, rpo } = measureObjectives({
      startedAt: at("2026-11-01T06:00:00Z"),
      verifiedAt: null,
      snapshotTime: at("2026-11-01T01:00:00Z"),
      rtoMinutes: 10,
      rpoMinutes: 300,
    });
    expect(rto).toEqual({ seconds: null, targetMinutes: 10, met: false });
    expect(rpo).toEqual({ seconds: 18000, targetMinutes: 300, met: true });
  });

  it("no backup resolved: no RPO either", () => {
    const { rpo } = measureObjectives({
      startedAt: at("2026-11-01T06:00:00Z"),
      verifiedAt: null,
      snapshotTime: null,
      rtoMinutes: 10,
      rpoMinutes: 300,
    });
    expect(rpo.met).toBe(false);
    expect(rpo.seconds).toBeNull();
  });
});

describe("formatDuration", () => {
  it.each([
    [null, "—"],
    [1.24, "1.2s"],
    [75, "1m 15s"],
    [7260, "2h 1m"],
  ])("%s → %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
