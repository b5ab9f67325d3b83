import { createRequire } from "node:module";
import { StateMachine } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { AwsErrors, ErrorNames, ExecutionErrors, StatesErrors } from "../errors.ts";
import { type StateMachineSpec, stateMachines } from "../wiring.ts";
import {
  boundedPoll,
  isHumanWait,
  lambdaRetry,
  type State,
  type StateMachineDefinition,
  type TaskState,
} from "./asl.ts";

// asl-validator 4 ships no type declarations; this is the part of its API used here.
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)("asl-validator") as AslValidator;

/** Every task function ARN the wiring knows, whatever their number. */
const arns = new Proxy(
  {},
  { get: (_, key) => `arn:aws:lambda:us-east-1:123456789012:function:switchyard-dev-${String(key)}` },
) as Parameters<StateMachineSpec["definition"]>[0];

// Built afresh for each test: asl-validator writes its defaults (QueryLanguage) into what it checks.
const machines = stateMachines.map((spec) => [spec.name, spec] as const);
const build = (spec: StateMachineSpec) => spec.definition(arns);

const isLambdaTask = (state: State): state is TaskState =>
  state.Type === "Task" && state.Resource.startsWith("arn:aws:states:::lambda:invoke");

/** Where a state can go next: Next, Default, every Choice rule's Next, every Catch's Next. */
function successors(state: State): string[] {
  const next: string[] = [];
  if ("Next" in state && state.Next) next.push(state.Next);
  if (state.Type === "Choice") {
    next.push(...state.Choices.map((c) => c.Next));
    if (state.Default) next.push(state.Default);
  }
  if (state.Type === "Task") next.push(...(state.Catch ?? []).map((c) => c.Next));
  return [...new Set(next)];
}

/** Every elementary cycle of the state graph, each once (from its first state in definition order). */
function cycles(definition: StateMachineDefinition): string[][] {
  const names = Object.keys(definition.States);
  const order = new Map(names.map((n, i) => [n, i]));
  const found: string[][] = [];
  for (const start of names) {
    const path = [start];
    const walk = (at: string) => {
      const state = definition.States[at];
      if (!state) return;
      for (const next of successors(state)) {
        if (next === start) found.push([...path]);
        else if ((order.get(next) ?? -1) > (order.get(start) ?? -1) && !path.includes(next)) {
          path.push(next);
          walk(next);
          path.pop();
        }
      }
    };
    walk(start);
  }
  return found;
}

/** A poll bound: a Choice rule that ends the loop once `<counter>.checks` reaches a limit. */
const boundRule = (state: State | undefined) =>
  state?.Type === "Choice"
    ? state.Choices.find(
        (c) =>
          typeof c.Variable === "string" &&
          c.Variable.endsWith(".checks") &&
          "NumericGreaterThanEqualsPath" in c,
      )
    : undefined;

describe("every state machine the wiring declares", () => {
  it.each(machines)("%s passes asl-validator", (_, spec) => {
    const definition = build(spec);
    const result = validateAsl(definition);

    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
  });

  it.each(machines)("%s retries every Lambda task with the one Lambda retry policy, first", (_, spec) => {
    const definition = build(spec);
    const tasks = Object.values(definition.States).filter(isLambdaTask);

    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) expect(task.Retry?.[0]).toBe(lambdaRetry);
  });

  it.each(machines)("%s has no second copy of the Lambda retry policy", (_, spec) => {
    const tasks = Object.values(build(spec).States).filter((s) => s.Type === "Task");
    const others = (task: TaskState) => (task.Retry ?? []).filter((r) => r !== lambdaRetry);

    // A Lambda task retries the policy's names only through the policy; no task anywhere
    // retries what a steps function throws for transient trouble through another retrier.
    const copies = [
      ...tasks
        .filter(isLambdaTask)
        .flatMap((task) =>
          others(task).filter((r) => r.ErrorEquals.some((name) => lambdaRetry.ErrorEquals.includes(name))),
        ),
      ...tasks.flatMap((task) =>
        others(task).filter((r) =>
          r.ErrorEquals.some((n) => n === ErrorNames.Throttled || n === ErrorNames.DatabaseUnavailable),
        ),
      ),
    ];

    expect(copies).toEqual([]);
  });

  it.each(machines)("%s matches and raises only error names the error family declares", (_, spec) => {
    const definition = build(spec);
    const declared = new Set<string>([
      ...Object.values(ErrorNames),
      ...Object.values(ExecutionErrors),
      ...Object.values(StatesErrors),
      ...Object.values(AwsErrors).flat(),
    ]);
    const sdkTransient = new Set<string>(AwsErrors.SdkTransient);
    const states = Object.values(definition.States);
    const names = [
      ...states.flatMap((s) =>
        s.Type === "Task" ? [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals) : [],
      ),
      ...states.flatMap((s) => (s.Type === "Fail" ? [s.Error] : [])),
    ];

    const unknown = names.filter(
      (name) => !declared.has(name) && !sdkTransient.has(/^[A-Z][A-Za-z0-9]*\.(.+)$/.exec(name)?.[1] ?? ""),
    );

    expect(names.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  it.each(machines)("%s bounds every wait for a human by a timeout, under the human-wait name", (_, spec) => {
    const definition = build(spec);
    for (const [name, state] of Object.entries(definition.States)) {
      if (!isHumanWait(name)) continue;
      expect(state.Type).toBe("Task");
      const task = state as TaskState;
      expect(task.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
      expect(task.TimeoutSeconds ?? task.TimeoutSecondsPath).toBeDefined();
    }
  });

  it("names exactly the approvals as human waits", () => {
    const humanWaits = Object.fromEntries(
      machines.map(([name, spec]) => [name, Object.keys(build(spec).States).filter((s) => isHumanWait(s))]),
    );

    expect(humanWaits).toEqual({
      deploy: ["WaitForApprovalToShift"],
      "cost-response": ["WaitForApproval"],
      "rotate-on-leak": [],
      failover: ["WaitForApprovalToFailOver"],
      failback: ["WaitForApprovalToFailOver"],
    });
  });

  it.each(machines)(
    "%s bounds every waiting loop that no steps function decides by a counter of its own",
    (_, spec) => {
      const definition = build(spec);
      const states = definition.States;
      for (const cycle of cycles(definition)) {
        const waits = cycle.some((n) => states[n]?.Type === "Wait");
        const decided = cycle.some((n) => {
          const s = states[n];
          return s !== undefined && isLambdaTask(s);
        });
        const bound = cycle.find((n) => boundRule(states[n]));
        if (!waits || (decided && !bound)) continue;

        // The loop has a bound, its exit is a Fail state outside the loop, and the loop
        // counts that bound's counter, and only that one, once a round.
        expect(bound, cycle.join(" → ")).toBeDefined();
        const rule = boundRule(states[bound ?? ""]);
        const counter = String(rule?.Variable).replace(/\.checks$/, "");
        expect(states[String(rule?.Next)]?.Type, cycle.join(" → ")).toBe("Fail");
        expect(cycle).not.toContain(rule?.Next);
        const counts = cycle
          .map((n) => states[n])
          .filter((s) => s?.Type === "Pass" && s.ResultPath === counter);
        expect(counts, cycle.join(" → ")).toEqual([
          {
            Type: "Pass",
            Parameters: { "checks.$": `States.MathAdd(${counter}.checks, 1)` },
            ResultPath: counter,
            Next: expect.any(String),
          },
        ]);
      }
    },
  );

  it("finds the poll loops it checks: promotion, global switch, DNS and resync", () => {
    const spec = stateMachines.find((m) => m.name === "failback");
    if (!spec) throw new Error("no failback state machine");
    const failback = build(spec);

    const bounds = cycles(failback)
      .flatMap((cycle) => cycle.filter((n) => boundRule(failback.States[n])))
      .sort();

    expect([...new Set(bounds)]).toEqual([
      "DnsSyncBound?",
      "GlobalSwitchBound?",
      "PromotionBound?",
      "ResyncBound?",
    ]);
  });
});

describe("boundedPoll", () => {
  /** A loop whose check never sees the thing done: only its bound can end it. */
  const definition = (): StateMachineDefinition => ({
    StartAt: "Look",
    States: {
      ...boundedPoll({
        check: {
          start: "Look",
          states: { Look: { Type: "Pass", Result: "pending", ResultPath: "$.seen", Next: "Done?" } },
        },
        done: { state: "Done?", choices: [{ Variable: "$.seen", StringEquals: "done", Next: "Finished" }] },
        counter: { path: "$.progress.look", max: "$.maxChecks", bound: "Bound?", count: "Count" },
        wait: { state: "Pause", secondsPath: "$.intervalSeconds" },
        timeout: { state: "TimedOut", fail: { Type: "Fail", Error: ExecutionErrors.PromotionTimedOut } },
      }),
      Finished: { Type: "Succeed" },
    },
  });

  it("builds a loop that asl-validator accepts", () => {
    expect(validateAsl(definition()).errorsText("\n")).toBe("");
  });

  it("looks once more than its bound, counting each round on its own counter, then fails", async () => {
    const machine = new StateMachine(definition() as never);
    const run = machine.run({
      maxChecks: 3,
      intervalSeconds: 0,
      progress: { look: { checks: 0 }, other: { checks: 7 } },
    });
    const entered: string[] = [];
    const outputs: unknown[] = [];

    const [outcome] = await Promise.allSettled([
      run.result,
      (async () => {
        for await (const event of run.eventLogs) {
          if (event.type === "StateEntered") entered.push(event.state.name);
          if (event.type === "StateExited" && event.state.name === "Count") outputs.push(event.state.output);
        }
      })(),
    ]);

    expect(outcome.status).toBe("rejected");
    expect(entered.filter((n) => n === "Look")).toHaveLength(4);
    expect(entered.at(-1)).toBe("TimedOut");
    expect(outputs).toMatchObject(
      [1, 2, 3].map((checks) => ({ progress: { look: { checks }, other: { checks: 7 } } })),
    );
  });

  it("leaves the loop as soon as the check sees it done", async () => {
    const done = definition();
    done.States.Look = { Type: "Pass", Result: "done", ResultPath: "$.seen", Next: "Done?" };
    const machine = new StateMachine(done as never);

    const output = await machine.run({ maxChecks: 3, intervalSeconds: 0, progress: { look: { checks: 0 } } })
      .result;

    expect(output).toMatchObject({ seen: "done", progress: { look: { checks: 0 } } });
  });
});
