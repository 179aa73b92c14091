import { describe, expect, it } from "vitest";
import { BlockPool } from "../../../scripts/lib/block-pool.ts";

describe("BlockPool", () => {
  it("hands out blocks, takes them back (whole or as a view of their start) and reuses them", () => {
    const pool = new BlockPool(1024);
    const a = pool.take();
    const b = pool.take();
    expect([a.length, b.length, pool.allocated, pool.available]).toEqual([1024, 1024, 2, 0]);
    pool.release(a);
    pool.release(b.subarray(0, 10)); // a last, partial block
    expect(pool.available).toBe(2);
    const again = [pool.take(), pool.take()];
    expect(again.map((x) => x.buffer).sort()).toEqual([a.buffer, b.buffer].sort());
    expect(again.every((x) => x.length === 1024)).toBe(true);
    expect(pool.allocated).toBe(2);
  });

  it("knows its own blocks and refuses to take back anything else", () => {
    const pool = new BlockPool(64);
    const block = pool.take();
    expect(pool.owns(block)).toBe(true);
    expect(pool.owns(block.subarray(0, 5))).toBe(true);
    expect(pool.owns(block.subarray(1))).toBe(false); // not the start of a block
    expect(pool.owns(Buffer.alloc(64))).toBe(false);
    expect(() => pool.release(Buffer.alloc(64))).toThrow(/not a block of this pool/);
    pool.release(block);
    expect(() => pool.release(block)).toThrow(/released twice/); // two writers would share it
  });

  it("wakes a waiter once, at the next release", () => {
    const pool = new BlockPool(8);
    const block = pool.take();
    let wakes = 0;
    pool.onRelease(() => wakes++);
    pool.release(block);
    pool.release(pool.take());
    expect(wakes).toBe(1);
  });
});
