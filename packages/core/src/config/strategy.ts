import { parseDuration, readDuration } from "./duration.ts";
import { EXECUTION_LIMIT_SECONDS } from "./zod.ts";

/** One stop of a traffic shift: `weight` of the alias's traffic (0 < weight <= 1) on the new version, held `pauseSeconds`. */
export interface TrafficStep {
  weight: number;
  pauseSeconds: number;
}

/** A custom shift: cumulative percentages of traffic, strictly increasing, 1..100. */
export interface CustomStrategy {
  steps: { weight: number; pause?: string | undefined }[];
}

type Shape =
  | { kind: "all-at-once" }
  | { kind: "canary"; percent: number; minutes: number }
  | { kind: "linear"; percent: number; minutes: number };

/**
 * CodeDeploy's predefined configurations for the Lambda compute platform, by the names AWS SAM
 * uses (CodeDeploy itself prefixes them with "CodeDeployDefault.Lambda"); see
 * https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
 */
const PRESETS = {
  AllAtOnce: { kind: "all-at-once" },
  Canary10Percent5Minutes: { kind: "canary", percent: 10, minutes: 5 },
  Canary10Percent10Minutes: { kind: "canary", percent: 10, minutes: 10 },
  Canary10Percent15Minutes: { kind: "canary", percent: 10, minutes: 15 },
  Canary10Percent30Minutes: { kind: "canary", percent: 10, minutes: 30 },
  Linear10PercentEvery1Minute: { kind: "linear", percent: 10, minutes: 1 },
  Linear10PercentEvery2Minutes: { kind: "linear", percent: 10, minutes: 2 },
  Linear10PercentEvery3Minutes: { kind: "linear", percent: 10, minutes: 3 },
  Linear10PercentEvery10Minutes: { kind: "linear", percent: 10, minutes: 10 },
} as const satisfies Record<string, Shape>;

export type PresetName = keyof typeof PRESETS;
export type StrategyInput = PresetName | CustomStrategy;

export const PRESET_NAMES = Object.keys(PRESETS) as [PresetName, ...PresetName[]];

const FULL: TrafficStep = { weight: 1, pauseSeconds: 0 };

function presetSteps(shape: Shape): TrafficStep[] {
  if (shape.kind === "all-at-once") return [FULL];
  const pauseSeconds = shape.minutes * 60;
  if (shape.kind === "canary") return [{ weight: shape.percent / 100, pauseSeconds }, FULL];
  const steps: TrafficStep[] = [];
  for (let percent = shape.percent; percent < 100; percent += shape.percent) {
    steps.push({ weight: percent / 100, pauseSeconds });
  }
  return [...steps, FULL];
}

/** A step's pause in seconds, read leniently: seconds (as the schema reads them), a duration string, or unknown. */
function pauseSeconds(pause: unknown): number | undefined {
  if (typeof pause === "number") return pause;
  if (typeof pause !== "string") return undefined;
  const read = readDuration(pause);
  return "seconds" in read ? read.seconds : undefined;
}

/**
 * What is wrong with custom steps, as (path under `steps`, message); read leniently so it can run
 * on half-valid input. A pause may be written ("5m") or already read into seconds.
 */
export function customStepProblems(
  steps: readonly unknown[],
): { path: (string | number)[]; message: string }[] {
  if (steps.length === 0) {
    return [
      {
        path: [],
        message: 'add at least one step, e.g. [{ "weight": 10, "pause": "5m" }, { "weight": 100 }]',
      },
    ];
  }
  const problems: { path: (string | number)[]; message: string }[] = [];
  let previous: number | undefined;
  let totalPause = 0;
  steps.forEach((step, index) => {
    if (typeof step !== "object" || step === null) return;
    const { weight, pause } = step as { weight?: unknown; pause?: unknown };
    totalPause += pauseSeconds(pause) ?? 0;
    if (typeof weight !== "number") return;
    if (!(weight >= 1 && weight <= 100)) {
      problems.push({
        path: [index, "weight"],
        message: `must be a percentage of traffic from 1 to 100, got ${weight}; e.g. 10 sends a tenth of the traffic to the new version`,
      });
    } else if (previous !== undefined && weight <= previous) {
      problems.push({
        path: [index, "weight"],
        message:
          `must be greater than the previous step's weight ${previous}: each weight is the total share ` +
          "on the new version, so the weights rise, e.g. 10, 25, 50, 100",
      });
    }
    if (weight < 100 && pause === undefined) {
      problems.push({
        path: [index, "pause"],
        message: `required below 100%: how long to hold ${weight}% while the alarms watch it; add e.g. "pause": "5m"`,
      });
    }
    if (weight === 100 && pause !== undefined) {
      problems.push({
        path: [index, "pause"],
        message:
          "remove it: the 100% step ends the shift, so nothing would wait for its pause; " +
          "to watch the new version longer, pause on the step before 100%",
      });
    }
    previous = weight;
  });
  // Every bake runs inside the one deploy execution, so together they must fit in it.
  if (totalPause > EXECUTION_LIMIT_SECONDS) {
    problems.push({
      path: [],
      message:
        `the pauses add up to ${Math.round(totalPause / 86_400)} days, longer than a Step Functions ` +
        "Standard execution may run (1 year): shorten them to 365d in all",
    });
  }
  return problems;
}

/** Custom steps whose pauses are already seconds (as the config schema reads them) as traffic steps. */
export function customTrafficSteps(
  steps: readonly { weight: number; pause?: number | undefined }[],
): TrafficStep[] {
  const traffic = steps.map(({ weight, pause }) =>
    weight === 100 ? FULL : { weight: weight / 100, pauseSeconds: pause ?? 0 },
  );
  return traffic.at(-1)?.weight === 1 ? traffic : [...traffic, FULL];
}

function customSteps(strategy: CustomStrategy): TrafficStep[] {
  const problems = customStepProblems(strategy.steps);
  if (problems.length > 0) {
    throw new Error(
      `invalid custom strategy: ${problems.map((p) => `steps${pathText(p.path)}: ${p.message}`).join("; ")}`,
    );
  }
  return customTrafficSteps(
    strategy.steps.map(({ weight, pause }) => ({
      weight,
      pause: pause === undefined ? undefined : parseDuration(pause),
    })),
  );
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((key) => (typeof key === "number" ? `[${key}]` : `.${key}`)).join("");
}

/** The traffic steps a strategy walks through; always ends with `{ weight: 1, pauseSeconds: 0 }`. */
export function strategySteps(strategy: StrategyInput): TrafficStep[] {
  if (typeof strategy !== "string") return customSteps(strategy);
  // hasOwn, not a lookup: "toString" is on every object and is not a strategy.
  if (!Object.hasOwn(PRESETS, strategy)) {
    throw new Error(`unknown strategy "${String(strategy)}"; use one of ${PRESET_NAMES.join(", ")}`);
  }
  return presetSteps(PRESETS[strategy]);
}

/** The preset's name, or "Custom(10,25,50,75,100)" listing the percentages the shift stops at. */
export function strategyName(
  strategy: PresetName | { steps: readonly { weight: number; pause?: unknown }[] },
): string {
  if (typeof strategy === "string") return strategy;
  const percents = strategy.steps.map((step) => step.weight);
  if ((percents.at(-1) ?? 0) < 100) percents.push(100);
  return `Custom(${percents.join(",")})`;
}
