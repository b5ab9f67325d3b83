import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import { runbookConfig, START, secondaryEndpoint, seedRegions } from "./support/failover.ts";
import type { Json } from "./support/fuzz.ts";
import { capture, localName, writesSince } from "./support/fuzz-functions.ts";
import { example, fixture } from "./support/scenario.ts";

/**
 * Bad carried state reaching a step function (issue #11, found by the function fuzz): the step
 * fails with a named error before it writes anything. Each invocation is one a real flow made,
 * captured on the simulated account, with one field changed.
 */

type Invocation = Json & { action: string; input: Json & Record<string, unknown>; [k: string]: unknown };

/** Invokes `fn` on `plane` as Step Functions does; its error and the writes it made. */
async function invokeStep(plane: ControlPlane, fn: "deploy-steps" | "failover-steps", invocation: Json) {
  const before = plane.account.calls.length;
  const out = await plane.account.lambda.invoke(localName(fn), invocation, {
    principal: "states.amazonaws.com",
  });
  await plane.settle();
  const writes = writesSince(plane, localName(fn), before).map((c) => `${c.service}:${c.action}`);
  return { error: out.error, writes };
}

const first = (captured: Json[], action: string): Invocation => {
  const found = captured.find((c) => (c as { action?: string }).action === action);
  if (!found) throw new Error(`the flow never invoked ${action}`);
  return structuredClone(found) as Invocation;
};

describe("deploy-steps given bad carried state", () => {
  let plane: ControlPlane;
  const captured: Json[] = [];
  beforeAll(async () => {
    plane = await startControlPlane(example());
    capture(plane, "deploy-steps", captured);
    plane.account.ecr.pushImage("queue-worker", "stable", "image-bad-input");
    await plane.runOut();
  }, 60_000);
  afterAll(() => plane?.close());

  it("fails the guarded shift with ConfigError, writing nothing, for an alarm CloudWatch does not have", async () => {
    const invocation = first(captured, "shift");
    invocation.input.alarms = ["NoSuchAlarm"];

    const { error, writes } = await invokeStep(plane, "deploy-steps", invocation);

    expect(error?.errorType).toBe("ConfigError");
    expect(error?.errorMessage).toMatch(/"NoSuchAlarm" do not exist/);
    expect(writes).toEqual([]);
  });
});

describe("failover-steps given bad carried state", () => {
  let plane: ControlPlane;
  let endpoint: Server;
  const captured: Json[] = [];
  beforeAll(async () => {
    const secondary = await secondaryEndpoint();
    endpoint = secondary.server;
    plane = await startControlPlane(runbookConfig(secondary.url), { start: START });
    seedRegions(plane);
    capture(plane, "failover-steps", captured);
    plane.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
    await plane.deliver(fixture("aws/health/route53-health-check-alarm.json") as never);
    await answerApproval(plane.context, "ignition", { approve: true, by: "bad-input" });
    await plane.runOut();
  }, 60_000);
  afterAll(async () => {
    await plane?.close();
    endpoint?.close();
  });

  const cases: [string, string, (invocation: Invocation) => void, RegExp][] = [
    ["plan", "what the state machine read is null", (i) => Object.assign(i, { world: null }), /world/],
    ["plan", "the carried world is null", (i) => Object.assign(i.input, { world: null }), /world/],
    [
      "report",
      "the carried approver is a huge number",
      (i) => Object.assign(i.input, { approved: { approvedBy: 9.99e300, at: "2026-11-30T00:00:00.000Z" } }),
      /approved\.approvedBy/,
    ],
  ];

  it.for(cases)(
    "fails %s with InvalidInput, writing nothing, when %s",
    async ([action, _, change, field]) => {
      const invocation = first(captured, action);
      change(invocation);

      const { error, writes } = await invokeStep(plane, "failover-steps", invocation);

      expect(error?.errorType).toBe("InvalidInput");
      expect(error?.errorMessage).toMatch(field);
      expect(writes).toEqual([]);
    },
  );
});
