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

describe("Step Functions executions in the simulated account", () => {
  function machine(definition: object) {
    const account = new SimulatedAccount();
    const arn = account.sfn.createStateMachine("flow", definition);
    const start = (name: string, input: object) =>
      account.call("states", "StartExecution", { stateMachineArn: arn, name, input: JSON.stringify(input) });
    return { account, arn, start };
  }
  const waiting = {
    StartAt: "Wait",
    States: { Wait: { Type: "Wait", Seconds: 60, End: true } },
  };

  it("makes StartExecution idempotent for the same name and input while running, and a conflict otherwise", async () => {
    const { account, start } = machine(waiting);
    const first = await start("deploy-1", { a: 1 });

    expect((await start("deploy-1", { a: 1 })).executionArn).toBe(first.executionArn);
    await expect(start("deploy-1", { a: 2 })).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
    await expect(start("bad name", {})).rejects.toMatchObject({ name: "InvalidName" });
    account.clock.tick(60_000);
    await account.activity.idle();
    await expect(start("deploy-1", { a: 1 })).rejects.toMatchObject({ name: "ExecutionAlreadyExists" });
  });

  it("runs Wait states and task timeouts on the virtual clock, and emits a status change event at the end", async () => {
    const { account, start } = machine({
      StartAt: "Wait",
      States: {
        Wait: { Type: "Wait", Seconds: 60, Next: "Approve" },
        Approve: {
          Type: "Task",
          Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          Parameters: {
            QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
            "MessageBody.$": "$$.Task.Token",
          },
          TimeoutSeconds: 300,
          End: true,
        },
      },
    });
    account.sqs.createQueue("dlq");
    const statuses: string[] = [];
    account.events.onIncoming((e) => {
      if (e["detail-type"] === "Step Functions Execution Status Change")
        statuses.push(String((e.detail as { status: string }).status));
    });
    const { executionArn } = await start("approval-1", {});
    await account.activity.idle();
    const describe = () => account.call("states", "DescribeExecution", { executionArn });

    expect((await describe()).status).toBe("RUNNING");
    account.clock.tick(60_000);
    await account.activity.idle();
    expect((await describe()).status).toBe("RUNNING");
    account.clock.tick(300_000);
    await account.activity.idle();

    expect(await describe()).toMatchObject({ status: "FAILED", error: "States.Timeout" });
    expect(statuses).toEqual(["FAILED"]);
  });

  it("refuses an unknown task token, and a token whose task no longer waits", async () => {
    const { account, start } = machine({
      StartAt: "Approve",
      States: {
        Approve: {
          Type: "Task",
          Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          Parameters: {
            QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
            "MessageBody.$": "$$.Task.Token",
          },
          End: true,
        },
      },
    });
    account.sqs.createQueue("dlq");
    await start("approval-2", {});
    await account.activity.idle();
    const [waitingToken] = account.sfn.waitingTokens();
    const succeed = (taskToken: string) =>
      account.call("states", "SendTaskSuccess", { taskToken, output: "{}" });

    await expect(succeed("forged")).rejects.toMatchObject({ name: "InvalidToken" });
    await succeed(String(waitingToken?.token));
    await account.activity.idle();
    await expect(succeed(String(waitingToken?.token))).rejects.toMatchObject({ name: "TaskTimedOut" });
  });
});
