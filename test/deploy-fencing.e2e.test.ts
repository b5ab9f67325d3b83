import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { operatorRollback } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { canaryAt10Percent, moveAliasByHand, opsTarget } from "./support/deploy.ts";
import { example, fixture } from "./support/scenario.ts";

const push = () => fixture("aws/ecr/image-push.json") as never;
const cleanScan = () => fixture("scenarios/image-scan-clean.json") as never;
const alarm = () => fixture("scenarios/alarm-server-cpu-too-high.json") as never;
const API = "api-handler:live";

/** Finding 1 of issue #11: a console replay of an old input must never undo newer work. */
describe("fencing: a console replay of any old deploy input changes nothing", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  async function consoleReplay(name: string) {
    const [first] = plane.account.sfn.executions();
    const out = await plane.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: plane.deployStateMachineArn, name, input: first?.input }),
    );
    await plane.runOut();
    return plane.account.sfn.execution(String(out.executionArn));
  }

  it("ends as stale after the deployment was rolled back by its alarm, even once the alarm is OK again", async () => {
    plane = await startControlPlane(example(), { start: Date.parse("2019-11-16T01:54:34Z") });
    await canaryAt10Percent(plane);
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
    await plane.deliver(alarm());
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "OK");
    expect(plane.aliases()[API]).toEqual({ version: "1", weights: {} });

    const replayed = await consoleReplay("console-replay-after-alarm");

    expect(replayed && executionOutcome(replayed)).toBe("stale");
    expect(plane.aliases()[API]).toEqual({ version: "1", weights: {} });
    expect(plane.account.callsOf({ action: "PublishVersion" })).toHaveLength(1);
  });

  it("ends as stale after an operator rolled the deployment back", async () => {
    plane = await startControlPlane(example(), { start: Date.parse("2019-11-16T01:54:34Z") });
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    await plane.runOut();
    await operatorRollback(example(), opsTarget(plane), "api", "regression", "bob");
    expect(plane.aliases()[API]).toEqual({ version: "1", weights: {} });

    const replayed = await consoleReplay("console-replay-after-operator");

    expect(replayed && executionOutcome(replayed)).toBe("stale");
    expect(plane.aliases()[API]).toEqual({ version: "1", weights: {} });
  });

  it("ends as stale after a human moved the alias by hand, and leaves the human's choice alone", async () => {
    plane = await startControlPlane(example(), { start: Date.parse("2019-11-16T01:54:34Z") });
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    await plane.runOut();
    await moveAliasByHand(plane, {});

    const replayed = await consoleReplay("console-replay-after-human");

    expect(replayed && executionOutcome(replayed)).toBe("stale");
    expect(plane.aliases()[API]).toEqual({ version: "1", weights: {} });
    expect((await listAudit(plane.store)).filter((a) => a.decision === "stale").at(-1)?.reason).toMatch(
      /generation/,
    );
  });

  it("advances the record's generation with every claim and rollback", async () => {
    plane = await startControlPlane(example(), { start: Date.parse("2019-11-16T01:54:34Z") });
    await canaryAt10Percent(plane);
    const claimed = await readDeployment(plane.store, "api");
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");

    await plane.deliver(alarm());

    const rolledBack = await readDeployment(plane.store, "api");
    expect(claimed?.generation).toBe(1);
    expect(rolledBack).toMatchObject({ status: "rolled-back", generation: 2 });
  });
});
