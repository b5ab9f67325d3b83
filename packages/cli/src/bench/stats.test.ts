import { describe, expect, it } from "vitest";
import { median, percentile } from "./stats.ts";

describe("percentile (nearest rank)", () => {
  it("returns an observed value: the 99th of 200 samples is the second largest", () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i);

    expect(percentile(samples, 99)).toBe(198);
  });

  it("returns the largest value as the 99th percentile of a small sample", () => {
    expect(percentile([3, 1, 2, 5, 4], 99)).toBe(5);
  });

  it("takes the lower middle value as the median of an even sample", () => {
    expect(median([4, 1, 3, 2])).toBe(2);
  });

  it("refuses an empty sample instead of returning undefined", () => {
    expect(() => percentile([], 50)).toThrow("empty sample");
  });
});
