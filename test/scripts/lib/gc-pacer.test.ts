import { constants, PerformanceObserver } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { GarbagePacer } from "../../../scripts/lib/gc-pacer.ts";

describe("GarbagePacer", () => {
  it("collects once per `everyBytes` of traffic, whatever the chunk sizes", () => {
    let collections = 0;
    const pacer = new GarbagePacer(1000, () => collections++);
    for (const n of [300, 300, 300]) pacer.add(n);
    expect(collections).toBe(0);
    pacer.add(100); // 1,000 bytes
    expect(collections).toBe(1);
    pacer.add(2500); // one big chunk: one collection, then counting starts again
    expect(collections).toBe(2);
    pacer.add(999);
    expect(collections).toBe(2);
  });

  it("really runs a young-generation collection by default (no --expose-gc needed)", async () => {
    const seen: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        seen.push((e as unknown as { detail: { kind: number } }).detail.kind);
    });
    observer.observe({ entryTypes: ["gc"] });
    try {
      new GarbagePacer(1).add(1);
      await new Promise((r) => setTimeout(r, 50)); // gc entries are delivered asynchronously
      expect(seen).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
    } finally {
      observer.disconnect();
    }
  });
});
