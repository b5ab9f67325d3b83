import {
  DescribeExecutionCommand,
  ExecutionNotRedrivable,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const DAY_MS = 24 * 60 * 60 * 1000;

/** A state machine whose one task fails until `healthy` is set. */
async function failedExecution(options: { fail: boolean }) {
  const account = new SimulatedAccount({ region: "us-east-1" });
  const sfn = new SFNClient({ region: "us-east-1", credentials });
  account.attach(sfn);
  const state = { healthy: !options.fail };
  account.lambda.registerHandler("step", async () => {
    if (!state.healthy) throw new Error("not yet");
    return { ok: true };
  });
  const stateMachineArn = account.sfn.createStateMachine("flow", {
    StartAt: "Step",
    States: { Step: { Type: "Task", Resource: account.lambda.functionArn("step"), End: true } },
  });
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "run-1" }));
  await account.activity.idle();
  const describe = () => sfn.send(new DescribeExecutionCommand({ executionArn }));
  const redrive = () => sfn.send(new RedriveExecutionCommand({ executionArn }));
  return { account, state, describe, redrive };
}

describe("Step Functions RedriveExecution rules in the simulated account", () => {
  it("redrives a FAILED execution within 14 days of its stop", async () => {
    const { account, state, describe, redrive } = await failedExecution({ fail: true });
    expect(await describe()).toMatchObject({ status: "FAILED", redriveStatus: "REDRIVABLE" });

    account.clock.tick(14 * DAY_MS);
    state.healthy = true;
    await redrive();
    await account.activity.idle();

    expect(await describe()).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
  });

  it("refuses to redrive an execution more than 14 days after it stopped, and says so in DescribeExecution", async () => {
    const { account, describe, redrive } = await failedExecution({ fail: true });

    account.clock.tick(14 * DAY_MS + 1);

    expect(await describe()).toMatchObject({
      status: "FAILED",
      redriveStatus: "NOT_REDRIVABLE",
      redriveStatusReason: "Execution redrivable period exceeded.",
    });
    await expect(redrive()).rejects.toBeInstanceOf(ExecutionNotRedrivable);
  });

  it("refuses to redrive a SUCCEEDED execution", async () => {
    const { describe, redrive } = await failedExecution({ fail: false });

    expect(await describe()).toMatchObject({
      status: "SUCCEEDED",
      redriveStatus: "NOT_REDRIVABLE",
      redriveStatusReason: "Execution is SUCCEEDED and cannot be redriven.",
    });
    await expect(redrive()).rejects.toMatchObject({ name: "ExecutionNotRedrivable" });
  });
});
