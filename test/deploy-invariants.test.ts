import { StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import {
  OpsError,
  type OpsTarget,
  operatorAbandon,
  operatorPromote,
  operatorRollback,
  setPaused,
} from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { checkProperty, PROPERTY_TIMEOUT, propertyRuns } from "./support/property.ts";
import { example, fixture } from "./support/scenario.ts";

/**
 * Model-based invariants of the deploy reaction (issue #11), on the simulated account: random
 * schedules of pushes of several images, alarm flaps, operator verbs, pause/resume, console
 * replays of any past execution's input, console stops and one injected fault. 1,000 schedules
 * by default (SWITCHYARD_PROPERTY_RUNS), from a fixed seed (SWITCHYARD_PROPERTY_SEED=random
 * explores); the seed, path and shrunk counterexample are printed on failure.
 */
const ALIAS = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");

type Action =
  | { kind: "push"; image: number }
  | { kind: "advance"; times: number }
  | { kind: "alarm" }
  | { kind: "operator"; verb: "rollback" | "promote" | "abandon" }
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "replay"; pick: number }
  | { kind: "stop"; pick: number }
  | { kind: "fault"; action: string; error: string };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("push" as const), image: fc.integer({ min: 0, max: 2 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), times: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "alarm" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("operator" as const),
      verb: fc.constantFrom("rollback" as const, "promote" as const, "abandon" as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "resume" as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stop" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("fault" as const),
      action: fc.constantFrom(
        "UpdateFunctionCode",
        "GetFunctionConfiguration",
        "PublishVersion",
        "UpdateAlias",
      ),
      error: fc.constantFrom("TooManyRequestsException", "InvalidParameterValueException"),
    }),
  },
);

const config = (policy: "supersede" | "queue" | "reject"): Config =>
  example((raw) => ({
    ...raw,
    safety: { ...raw.safety, actionLimit: { max: 1000, window: "1h" } },
    deployments: raw.deployments?.map((d) => (d.name === "worker" ? { ...d, onNewerImage: policy } : d)),
  }));

function alarmEvent(n: number, plane: ControlPlane) {
  const e = fixture<{ id: string; time: string; detail: { alarmName: string } }>(
    "scenarios/alarm-server-cpu-too-high.json",
  );
  e.id = `c4c1c1c9-6542-e61b-6ef0-${String(n).padStart(12, "0")}`;
  e.time = plane.account.clock.iso();
  e.detail.alarmName = "WorkerErrors";
  return e;
}

/** Runs one schedule and checks the invariants after every step and at the end. */
async function check(policy: "supersede" | "queue" | "reject", schedule: Action[]): Promise<void> {
  const plane = await startControlPlane(config(policy), { start });
  const target: OpsTarget = { deps: plane.context, where: "test", close: async () => undefined };
  const routing = () => JSON.stringify(plane.aliases()[ALIAS]);
  let paused = false;
  let pausedRouting = "";
  let n = 0;
  const replays: { arn: string; fencedOff: boolean }[] = [];
  try {
    for (const step of schedule) {
      n++;
      let operator = false;
      switch (step.kind) {
        case "push":
          plane.account.ecr.pushImage("queue-worker", "stable", `image-${step.image}`);
          await plane.settle();
          break;
        case "advance":
          for (let i = 0; i < step.times && plane.account.clock.advance(); i++) await plane.settle();
          break;
        case "alarm":
          plane.account.cloudwatch.observeState("WorkerErrors", "ALARM");
          await plane.deliver(alarmEvent(n, plane) as never);
          plane.account.cloudwatch.observeState("WorkerErrors", "OK");
          break;
        case "operator": {
          operator = true;
          const verb = { rollback: operatorRollback, promote: operatorPromote, abandon: operatorAbandon }[
            step.verb
          ];
          // A verb that fails says so in one line (a refusal, or AWS's error); a throttled one
          // the operator runs again. The invariants below must hold either way.
          const run = () => verb(config(policy), target, "worker", "model", "prop");
          await run()
            .catch((error: unknown) =>
              (error as Error).name === "Throttled" ? run() : Promise.reject(error),
            )
            .catch((error: unknown) => {
              if (!(error instanceof OpsError) && !(error as { $metadata?: unknown }).$metadata) throw error;
            });
          await plane.settle();
          break;
        }
        case "pause":
          await setPaused(target, true, "model", "prop");
          if (!paused) pausedRouting = routing();
          paused = true;
          break;
        case "resume":
          await setPaused(target, false, "model", "prop");
          paused = false;
          break;
        case "replay": {
          const past = plane.account.sfn.executions();
          const source = past[step.pick % Math.max(1, past.length)];
          if (!source?.input) break;
          const record = await readDeployment(plane.store, "worker");
          const input = JSON.parse(source.input) as { generation: number };
          const out = await plane.clients.sfn.send(
            new StartExecutionCommand({
              stateMachineArn: plane.deployStateMachineArn,
              name: `replay-${n}`,
              input: source.input,
            }),
          );
          replays.push({
            arn: String(out.executionArn),
            fencedOff: input.generation < (record?.generation ?? 0),
          });
          await plane.settle();
          break;
        }
        case "stop": {
          const running = plane.account.sfn.executions().filter((e) => e.status === "RUNNING");
          const victim = running[step.pick % Math.max(1, running.length)];
          if (victim) await plane.clients.sfn.send(new StopExecutionCommand({ executionArn: victim.arn }));
          await plane.settle();
          break;
        }
        case "fault":
          plane.account.injectFault({ service: "lambda", action: step.action, error: step.error, times: 1 });
          break;
      }
      // Nothing event-driven moves traffic while paused (operators may).
      if (operator) pausedRouting = routing();
      else if (paused) expect(routing(), `step ${n} moved the alias while paused`).toBe(pausedRouting);
      await splitHasOneOwner(plane, `after step ${n} (${step.kind})`);
    }
    await setPaused(target, false, "end", "prop");
    await plane.runOut();
    await splitHasOneOwner(plane, "after runOut");
    const executions = plane.account.sfn.executions();
    for (const e of executions) expect(e.status, `${e.name} never ended`).not.toBe("RUNNING");
    // Every record is settled, or handed to a human (told by deploy-watch) with a verb that works.
    let record = await readDeployment(plane.store, "worker");
    if (record?.status === "shifting") {
      const told = (await listAudit(plane.store)).filter(
        (a) => a.reaction === "deploy-watch" && a.executionArn === record?.executionArn,
      );
      expect(told.at(-1)?.reason, "a shifting record nobody was told about").toMatch(
        /switchyard abandon worker/,
      );
      // As at any operator step: a verb AWS refused says so in one line, and the operator runs it
      // again (the injected fault is spent; in an account, once the cause is fixed).
      const abandon = () => operatorAbandon(config(policy), target, "worker", "told to", "prop");
      await abandon().catch((error: unknown) => {
        if (!(error instanceof OpsError) && !(error as { $metadata?: unknown }).$metadata) throw error;
        return abandon();
      });
      await plane.runOut();
      record = await readDeployment(plane.store, "worker");
    }
    expect(record?.status ?? "none", "the record is left shifting").not.toBe("shifting");
    for (const r of replays) {
      const e = plane.account.sfn.execution(r.arn);
      // Fenced off: it ends stale, or refused because a deployment is in flight; never deploys.
      if (r.fencedOff) expect(["stale", "superseded"], `replay ${r.arn}`).toContain(e && executionOutcome(e));
    }
  } finally {
    await plane.close();
  }
}

/**
 * The alias is at 100% on one version, or at a split owned by exactly one running execution
 * (or, when that execution ended while automation was paused, handed to a human by name).
 */
async function splitHasOneOwner(plane: ControlPlane, when: string): Promise<void> {
  const alias = plane.aliases()[ALIAS];
  const extra = Object.keys(alias?.weights ?? {});
  if (extra.length === 0) return;
  const record = await readDeployment(plane.store, "worker");
  const running = plane.account.sfn.executions().filter((e) => e.status === "RUNNING");
  expect(record?.status, `${when}: split ${JSON.stringify(alias)} without a shifting record`).toBe(
    "shifting",
  );
  expect(extra, `${when}: split on a version the record does not name`).toEqual([record?.newVersion]);
  const owners = running.filter((e) => e.arn === record?.executionArn);
  if (owners.length === 0) {
    // Its execution ended while automation was paused: nothing was written, a human was told.
    const told = (await listAudit(plane.store)).filter(
      (a) => a.reaction === "deploy-watch" && a.executionArn === record?.executionArn,
    );
    expect(told.at(-1)?.reason, `${when}: split owned by no running execution, nobody told`).toMatch(
      /automation is paused.*switchyard abandon worker/,
    );
    return;
  }
  expect(owners, `${when}: split owned by more than one execution`).toHaveLength(1);
}

describe("deploy invariants: shrunk counterexamples found by the property, kept as examples", () => {
  it("settles a deployment whose code-status poll failed with an error no retry fixes", () =>
    check("supersede", [
      { kind: "fault", action: "GetFunctionConfiguration", error: "InvalidParameterValueException" },
      { kind: "push", image: 0 },
      { kind: "alarm" },
    ]));

  it("hands a console-stopped deployment to a human, not the alias, while automation is paused", () =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "pause" },
      { kind: "stop", pick: 0 },
      { kind: "pause" },
    ]));

  it("leaves a split to a human when its execution is stopped while automation is paused", () =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "advance", times: 1 },
      { kind: "pause" },
      { kind: "stop", pick: 0 },
    ]));

  it("lets the operator run a throttled rollback again", () =>
    check("supersede", [
      { kind: "fault", action: "UpdateAlias", error: "TooManyRequestsException" },
      { kind: "push", image: 0 },
      { kind: "operator", verb: "rollback" },
    ]));

  it("keeps the invariants when an operator's rollback meets a permanent AWS error", () =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "fault", action: "UpdateAlias", error: "InvalidParameterValueException" },
      { kind: "operator", verb: "rollback" },
      { kind: "advance", times: 1 },
    ]));

  // Seed 20261130, path 323:1:1:1:2:5:8:8:8:6: the second push's code update met the first one's
  // still in progress (ResourceConflictException), its execution failed in place, and the alias
  // write the operator was then told to make met the throttle.
  it("deploys a superseding push whose code update waits for the superseded one's to end", () =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "push", image: 1 },
      { kind: "fault", action: "UpdateAlias", error: "TooManyRequestsException" },
      { kind: "replay", pick: 0 },
    ]));

  // Seed 20261130, paths 908:3:1:4:4:5:5:7:5:5 and 908:3:1:4:4:6:8:6:6: the abandon the operator
  // was told to run (its execution stopped while paused) threw the alias write's error at them,
  // a throttle it could ride out, or AWS refusing the rewrite that only fences a racing shift
  // after the record was already settled.
  it.for([
    ["rides out a throttled alias write", "TooManyRequestsException"],
    ["reports, without failing, AWS refusing its fencing alias rewrite", "InvalidParameterValueException"],
  ])("lets the abandon an operator was told to run end the deployment: %s", ([_, error]) =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "fault", action: "UpdateAlias", error: String(error) },
      { kind: "pause" },
      { kind: "stop", pick: 0 },
    ]),
  );

  // Seed 20261130, path 908:3:1:4:5:5:9:11:9:9: the execution stopped while paused after a
  // permanent alias error left a split; the abandon the operator is told to run meets AWS's
  // refusal once, says so, and ends the deployment when run again.
  it("ends a split left by a permanent alias error and a console stop once the told abandon runs again", () =>
    check("supersede", [
      { kind: "push", image: 0 },
      { kind: "advance", times: 1 },
      { kind: "fault", action: "UpdateAlias", error: "InvalidParameterValueException" },
      { kind: "pause" },
      { kind: "stop", pick: 0 },
    ]));

  it("refuses a console replay of the input of the execution that holds the deployment", () =>
    check("supersede", [{ kind: "push", image: 0 }, { kind: "replay", pick: 0 }, { kind: "alarm" }]));
});

describe("deploy invariants under random schedules", () => {
  it(
    "keeps every split owned, every replay fenced, every record settled and pause respected",
    async () => {
      await checkProperty(
        "deploy invariants",
        fc.tuple(
          fc.constantFrom("supersede" as const, "queue" as const, "reject" as const),
          // One injected fault at most per schedule, as the model has it.
          fc
            .array(action, { minLength: 1, maxLength: 14 })
            .filter((schedule) => schedule.filter((a) => a.kind === "fault").length <= 1),
        ),
        ([policy, schedule]) => check(policy, schedule),
        propertyRuns(1000),
      );
    },
    PROPERTY_TIMEOUT,
  );
});
