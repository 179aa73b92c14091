import { describe, expect, it } from "vitest";
import { isoWeekKey, planRetention } from "../../../../scripts/lib/backup/retention.ts";

const HOUR = 3_600_000;
const retention = { keepAllHours: 48, daily: 30, weekly: 0, monthly: 12 };

/** 60 backups: every 4 h for the last 2 days (12), then daily for 30 days (30)… then monthly (18). */
function fixture(now: Date) {
  const times: Date[] = [];
  for (let i = 0; i < 12; i++) times.push(new Date(now.getTime() - i * 4 * HOUR - HOUR));
  for (let d = 3; d < 33; d++) times.push(new Date(Date.UTC(2026, 10, 21 - d, 4, 0, 0)));
  for (let m = 2; m < 20; m++) times.push(new Date(Date.UTC(2026, 10 - m, 10, 4, 0, 0)));
  return times.map((time, i) => ({ id: `b${String(i).padStart(2, "0")}`, time }));
}

describe("planRetention (GFS)", () => {
  const now = new Date(Date.UTC(2026, 10, 21, 12, 0, 0));
  const backups = fixture(now);

  it("works on the 60-backup fixture across months", () => {
    expect(backups).toHaveLength(60);
    const plan = planRetention(backups, retention, now);
    expect(plan.keep.length + plan.delete.length).toBe(60);
    const kept = new Set(plan.keep.map((k) => k.id));
    // Everything younger than 48 h.
    for (const b of backups)
      if (now.getTime() - b.time.getTime() < 48 * HOUR) expect(kept.has(b.id)).toBe(true);
    // One per calendar day for the last 30 days (2026-10-23 .. 2026-11-21).
    const days = new Set(backups.filter((b) => kept.has(b.id)).map((b) => b.time.toISOString().slice(0, 10)));
    for (let d = 0; d < 30; d++) {
      const day = new Date(now.getTime() - d * 24 * HOUR).toISOString().slice(0, 10);
      const any = backups.some((b) => b.time.toISOString().slice(0, 10) === day);
      if (any) expect(days.has(day)).toBe(true);
    }
    // 12 monthlies: 2025-12 .. 2026-11 — but nothing older than that.
    const oldestKept = Math.min(...backups.filter((b) => kept.has(b.id)).map((b) => b.time.getTime()));
    expect(new Date(oldestKept).toISOString().slice(0, 7)).toBe("2025-12");
    const months = new Set(plan.keep.filter((k) => k.reasons.includes("monthly")).map((k) => k.id));
    expect(months.size).toBe(12);
    // Deleted: the dailies of Oct 20-22 (outside the 30 days; October's monthly is Oct 31) and the
    // monthlies older than the 12 months 2025-12 .. 2026-11.
    const expected = backups.filter((b) => {
      const day = b.time.toISOString().slice(0, 10);
      return (day >= "2026-10-20" && day <= "2026-10-22") || b.time < new Date(Date.UTC(2025, 11, 1));
    });
    expect(plan.delete.sort()).toEqual(expected.map((b) => b.id).sort());
    expect(plan.delete).toHaveLength(3 + 8);
  });

  it("keeps the newest backup of each period, not an older one", () => {
    const day = (h: number) => ({ id: `d${h}`, time: new Date(Date.UTC(2026, 9, 5, h)) });
    const plan = planRetention([day(1), day(9), day(17)], { ...retention, keepAllHours: 1, daily: 60 }, now);
    expect(plan.keep.map((k) => k.id)).toContain("d17");
    expect(plan.delete.sort()).toEqual(["d1", "d9"]);
  });

  it("never deletes the newest backup, even when it is older than every window", () => {
    const old = [
      { id: "a", time: new Date(Date.UTC(2020, 0, 1)) },
      { id: "b", time: new Date(Date.UTC(2020, 0, 2)) },
    ];
    const plan = planRetention(old, retention, now);
    expect(plan.keep).toEqual([{ id: "b", reasons: ["newest"] }]);
    expect(plan.delete).toEqual(["a"]);
  });

  it("keeps weeklies by ISO week when asked", () => {
    expect(isoWeekKey(new Date(Date.UTC(2026, 0, 1)))).toBe("2026-W01");
    expect(isoWeekKey(new Date(Date.UTC(2027, 0, 1)))).toBe("2026-W53");
    const weekly = Array.from({ length: 10 }, (_, i) => ({
      id: `w${i}`,
      time: new Date(now.getTime() - (i * 7 + 3) * 24 * HOUR),
    }));
    const plan = planRetention(weekly, { keepAllHours: 1, daily: 0, weekly: 4, monthly: 0 }, now);
    // now is Saturday 2026-11-21 (W47): w0..w3 fall in W47, W46, W45, W44.
    expect(plan.keep.map((k) => k.id)).toEqual(["w0", "w1", "w2", "w3"]);
    expect(plan.keep[1]?.reasons).toEqual(["weekly"]);
    expect(plan.delete).toContain("w9");
  });

  it("is empty-safe", () => {
    expect(planRetention([], retention, now)).toEqual({ keep: [], delete: [] });
  });
});
