import { describe, expect, it } from "vitest";
import { type StrategyInput, strategyName, strategySteps, type TrafficStep } from "./strategy.ts";

const linear = (pauseSeconds: number): TrafficStep[] => [
  ...[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((weight) => ({ weight, pauseSeconds })),
  { weight: 1, pauseSeconds: 0 },
];

describe("strategySteps", () => {
  it.each<[StrategyInput, TrafficStep[]]>([
    ["AllAtOnce", [{ weight: 1, pauseSeconds: 0 }]],
    [
      "Canary10Percent5Minutes",
      [
        { weight: 0.1, pauseSeconds: 300 },
        { weight: 1, pauseSeconds: 0 },
      ],
    ],
    [
      "Canary10Percent10Minutes",
      [
        { weight: 0.1, pauseSeconds: 600 },
        { weight: 1, pauseSeconds: 0 },
      ],
    ],
    [
      "Canary10Percent15Minutes",
      [
        { weight: 0.1, pauseSeconds: 900 },
        { weight: 1, pauseSeconds: 0 },
      ],
    ],
    [
      "Canary10Percent30Minutes",
      [
        { weight: 0.1, pauseSeconds: 1_800 },
        { weight: 1, pauseSeconds: 0 },
      ],
    ],
    ["Linear10PercentEvery1Minute", linear(60)],
    ["Linear10PercentEvery2Minutes", linear(120)],
    ["Linear10PercentEvery3Minutes", linear(180)],
    ["Linear10PercentEvery10Minutes", linear(600)],
  ])("turns the CodeDeploy preset %s into its traffic steps", (preset, steps) => {
    expect(strategySteps(preset)).toEqual(steps);
  });

  it("turns custom percentages into fractions with their pauses in seconds", () => {
    const steps = strategySteps({
      steps: [
        { weight: 10, pause: "30s" },
        { weight: 25, pause: "1m" },
        { weight: 50, pause: "1h30m" },
        { weight: 100 },
      ],
    });

    expect(steps).toEqual([
      { weight: 0.1, pauseSeconds: 30 },
      { weight: 0.25, pauseSeconds: 60 },
      { weight: 0.5, pauseSeconds: 5_400 },
      { weight: 1, pauseSeconds: 0 },
    ]);
  });

  it("appends the final 100% step when custom steps stop short of it", () => {
    const steps = strategySteps({ steps: [{ weight: 20, pause: "2m" }] });

    expect(steps).toEqual([
      { weight: 0.2, pauseSeconds: 120 },
      { weight: 1, pauseSeconds: 0 },
    ]);
  });

  it("refuses a pause on the 100% step, since nothing would wait for it", () => {
    expect(() =>
      strategySteps({
        steps: [
          { weight: 50, pause: "1m" },
          { weight: 100, pause: "10m" },
        ],
      }),
    ).toThrow("steps[1].pause: remove it: the 100% step ends the shift");
  });

  it("refuses pauses that add up to more than a Standard execution may run", () => {
    expect(() =>
      strategySteps({
        steps: [
          { weight: 10, pause: "200d" },
          { weight: 50, pause: "200d" },
        ],
      }),
    ).toThrow(
      "the pauses add up to 400 days, longer than a Step Functions Standard execution may run (1 year)",
    );
  });

  it("refuses custom steps whose weights do not rise", () => {
    expect(() =>
      strategySteps({
        steps: [
          { weight: 50, pause: "1m" },
          { weight: 25, pause: "1m" },
        ],
      }),
    ).toThrow("steps[1].weight: must be greater than the previous step's weight 50");
  });

  it("refuses a preset name that does not exist, even one every object has", () => {
    expect(() => strategySteps("toString" as StrategyInput)).toThrow(
      'unknown strategy "toString"; use one of AllAtOnce',
    );
  });
});

describe("strategyName", () => {
  it("names a preset by itself", () => {
    expect(strategyName("Linear10PercentEvery3Minutes")).toBe("Linear10PercentEvery3Minutes");
  });

  it("names custom steps by the percentages the shift stops at, the appended 100 included", () => {
    expect(
      strategyName({
        steps: [
          { weight: 10, pause: "1m" },
          { weight: 50, pause: "1m" },
        ],
      }),
    ).toBe("Custom(10,50,100)");
  });
});
