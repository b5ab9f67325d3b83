import { describe, expect, it } from "vitest";
import { evaluateMetricMath, statisticOf } from "./metric-math.ts";

const series = new Map([
  [
    "errors",
    new Map([
      [0, 5],
      [60, 0],
      [120, 3],
    ]),
  ],
  [
    "invocations",
    new Map([
      [0, 100],
      [60, 0],
      [120, 50],
    ]),
  ],
]);

describe("the simulated CloudWatch's metric math", () => {
  it("divides point by point and leaves out a point divided by zero", () => {
    expect(evaluateMetricMath("errors / invocations", series)).toEqual(
      new Map([
        [0, 0.05],
        [120, 0.06],
      ]),
    );
  });

  it("keeps precedence, parentheses, unary minus and scalars", () => {
    expect(evaluateMetricMath("-(errors - 1) * 2 + 100 / invocations", series)).toEqual(
      new Map([
        [0, -7],
        [120, -2],
      ]),
    );
  });

  it("supports ABS and FILL, and names what it does not support", () => {
    expect(evaluateMetricMath("ABS(0 - errors)", series)).toEqual(
      new Map([
        [0, 5],
        [60, 0],
        [120, 3],
      ]),
    );
    expect(
      evaluateMetricMath("FILL(errors, 0) + 1", new Map([...series, ["errors", new Map([[0, 5]])]])),
    ).toEqual(
      new Map([
        [0, 6],
        [60, 1],
        [120, 1],
      ]),
    );
    expect(evaluateMetricMath("RATE(errors)", series)).toMatch(
      /does not support the metric math function RATE/,
    );
    expect(evaluateMetricMath("errors % 2", series)).toMatch(/unsupported metric math at "% 2"/);
    expect(evaluateMetricMath("latency * 2", series)).toMatch(/"latency" is not the Id of another query/);
  });

  it("computes Sum, Average, SampleCount and percentiles from raw samples, nothing from none", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([
      statisticOf("Sum", [1, 2, 3]),
      statisticOf("Average", [1, 2, 3]),
      statisticOf("SampleCount", [1, 2]),
    ]).toEqual([6, 2, 2]);
    expect([statisticOf("p99", samples), statisticOf("p50", samples)]).toEqual([99, 50]);
    expect(statisticOf("Sum", [])).toBeUndefined();
  });
});
