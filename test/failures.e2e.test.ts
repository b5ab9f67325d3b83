import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { executionOutcome, replay } from "../packages/cli/src/replay.ts";
import { attachTimeline } from "../packages/cli/src/timeline.ts";
import type { Fault } from "../packages/sim/src/index.ts";
import { canaryAt10Percent, untilAlias } from "./support/deploy.ts";
import { it } from "./support/plane.ts";
import { busEvent, example } from "./support/scenario.ts";

const push = () => busEvent("aws/ecr/image-push.json");
const cleanScan = () => busEvent("scenarios/image-scan-clean.json");
const alarm = () => busEvent("scenarios/alarm-server-cpu-too-high.json");

/** Every AWS call each step of a deploy makes, with the exception AWS sends when it throttles or fails. */
const steps: { step: string; fault: Omit<Fault, "times"> }[] = (
  [
    ["trigger reads the alias", "lambda", "GetAlias", "TooManyRequestsException"],
    ["trigger starts the execution", "states", "StartExecution", "ThrottlingException"],
    ["Step Functions invokes a step", "lambda", "InvokeFunction", "TooManyRequestsException"],
    ["scan result answers the gate", "states", "SendTaskSuccess", "ThrottlingException"],
    ["update the function's image", "lambda", "UpdateFunctionCode", "ResourceConflictException"],
    ["publish the version", "lambda", "PublishVersion", "ServiceException"],
    ["check the alarms", "cloudwatch", "DescribeAlarms", "Throttling"],
    ["shift the alias", "lambda", "UpdateAlias", "TooManyRequestsException"],
    ["write the state table", "dynamodb", "PutItem", "ProvisionedThroughputExceededException"],
  ] as const
).map(([step, service, action, error]) => ({ step, fault: { service, action, error } }));

/** The alias states a deploy of version 2 may leave behind: stable, a canary split, or fully shifted. */
const knownStates = [
  { version: "1", weights: {} },
  { version: "1", weights: { "2": 0.1 } },
  { version: "2", weights: {} },
];

async function deployWith(plane: ControlPlane, fault: Fault) {
  plane.account.injectFault(fault);
  await plane.deliver(push());
  await plane.deliver(cleanScan());
  await plane.runOut();
}

/**
 * The example's API canary at 10% with its guarding alarm in ALARM, and UpdateAlias failing with
 * `error` `times` times — only during the alarm's first rollback attempt with `firstAttemptOnly`
 * (every try the function makes then). Returns the instant the alarm is delivered.
 */
async function alarmMidCanary(
  plane: ControlPlane,
  fault: { error: string; times: number; firstAttemptOnly?: boolean },
): Promise<number> {
  await canaryAt10Percent(plane);
  plane.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
  const alarmed = plane.account.clock.now();
  plane.account.injectFault({
    service: "lambda",
    action: "UpdateAlias",
    error: fault.error,
    times: fault.times,
    ...(fault.firstAttemptOnly ? { when: () => plane.account.clock.now() === alarmed } : {}),
  });
  return alarmed;
}

describe("AWS throttling and errors injected at each step of a deploy", () => {
  for (const { step, fault } of steps) {
    it(`retries when ${step} is throttled twice, and deploys`, async ({ plane }) => {
      await deployWith(plane, { ...fault, times: 2 });
      expect(
        plane.account.callsOf({ service: fault.service, action: fault.action }).filter((c) => c.error),
      ).toHaveLength(2);
      expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });
    });

    it(`fails safe when ${step} keeps failing: the alias is on a known version and nothing runs on`, async ({
      plane,
    }) => {
      await deployWith(plane, { ...fault, times: 1_000 });
      expect(knownStates).toContainEqual(plane.aliases()["api-handler:live"]);
      for (const execution of plane.account.sfn.executions()) expect(execution.status).not.toBe("RUNNING");
      expect(plane.account.clock.pending({ includeHumanWaits: true })).toHaveLength(0);
    });
  }

  it("finishes a rollback that was throttled on its first attempts (the rollback retries a throttled UpdateAlias itself)", async ({
    plane,
  }) => {
    await alarmMidCanary(plane, { error: "TooManyRequestsException", times: 2 });

    const delivery = await plane.deliver(alarm());

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "rollback", outcome: "rolled-back" });
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("rolled-back");
  });

  it("rolls back a minute late when the rollback's first attempt is throttled: Lambda retries the async invocation at +1 min", async ({
    plane,
  }) => {
    // Every UpdateAlias of the first attempt fails (the function's own three tries included).
    const alarmed = await alarmMidCanary(plane, {
      error: "TooManyRequestsException",
      times: 1_000,
      firstAttemptOnly: true,
    });
    const lines: string[] = [];
    attachTimeline(plane, (e) => lines.push(`${e.component} ${e.message}`));

    const delivery = await plane.deliver(alarm());

    expect(delivery.outcomes[0]?.error?.errorMessage).toMatch(/TooManyRequestsException/);
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.1 } });
    await untilAlias(plane, "api-handler:live", { version: "1", weights: {} });
    expect(plane.account.clock.now() - alarmed).toBe(60_000);
    expect(delivery.later).toMatchObject([
      {
        kind: "retry",
        attempt: 2,
        afterMs: 60_000,
        result: { reaction: "rollback", outcome: "rolled-back" },
      },
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^rollback retried at \+1 min: rolled-back/));
    await plane.runOut();
    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("rolled-back");
  });

  it("reports the rollback's retry in the replay report: the first attempt's error, then the retry at +1 min that rolled back", async () => {
    const alarmAt = Date.parse(String(alarm().time));
    const report = await replay(example(), [push(), cleanScan(), alarm()], {
      prepare: (plane) =>
        plane.account.injectFault({
          service: "lambda",
          action: "UpdateAlias",
          error: "ServiceException",
          times: 1_000,
          when: () => plane.account.clock.now() === alarmAt,
        }),
    });

    expect(report.events[2]?.reactions[0]).toMatchObject({
      reaction: "rollback",
      decision: "error",
      outcome: "rolled-back",
      later: [expect.stringMatching(/^retried at \+1 min: rolled-back: alias api-handler:live on version 1/)],
    });
    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(report.deadLetters).toEqual([]);
  });

  it("sends a rollback that throws on every attempt to the dead-letter queue as Lambda's invocation record at +3 min", async ({
    plane,
  }) => {
    const alarmed = await alarmMidCanary(plane, { error: "ServiceException", times: 1_000 });
    const dlq = () => plane.account.sqs.messages(plane.dlqName);
    const lines: string[] = [];
    attachTimeline(plane, (e) => lines.push(`${e.t} ${e.component} ${e.message}`));

    const delivery = await plane.deliver(alarm());
    while (dlq().length === 0 && plane.account.clock.advance()) await plane.settle();

    expect(plane.account.clock.now() - alarmed).toBe(180_000);
    const record = JSON.parse(String(dlq()[0]?.Body));
    expect(record).toMatchObject({
      requestContext: {
        functionArn: `${plane.account.lambda.functionArn("switchyard-rollback")}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { id: delivery.event.id, "detail-type": "CloudWatch Alarm State Change" },
      responseContext: { functionError: "Unhandled" },
      responsePayload: { errorType: "Throttled", errorMessage: expect.stringMatching(/ServiceException/) },
    });
    expect(delivery.later.at(-1)).toMatchObject({ kind: "discarded", attempts: 3 });
    expect(delivery.later.at(-1)).not.toHaveProperty("destinationError");
    expect(lines.filter((l) => /retried|gave up|dead-letter/.test(l))).toEqual([
      expect.stringMatching(/^0:01:00 rollback retried at \+1 min: error Throttled: /),
      expect.stringMatching(/^0:03:00 rollback retried at \+3 min: error Throttled: /),
      expect.stringMatching(/^0:03:00 rollback dead-letter: RetriesExhausted after 3 attempts \(Throttled: /),
      "0:03:00 rollback gave up at +3 min after 3 attempts (RetriesExhausted): record sent to switchyard-dead-letter",
    ]);
  });
});
