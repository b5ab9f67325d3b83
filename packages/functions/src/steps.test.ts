import type { Context, Handler } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { rotateOnLeakInput } from "../../../test/support/secrets.ts";
import type { FunctionContext } from "./runtime.ts";

const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:switchyard-x:run-1";
const context = { functionName: "steps", awsRequestId: "r-1" } as Context;

/** Throws on any use: a step function must refuse an unknown action before it sends anything. */
const untouchableClients = new Proxy(
  {},
  {
    get: (_, key) => {
      throw new Error(`the ${String(key)} client was used`);
    },
  },
);
const untouchable = { clients: untouchableClients, config: { secrets: [] } } as unknown as FunctionContext;

const cases: {
  name: string;
  load: () => Promise<{ make: (p: () => FunctionContext) => unknown }>;
  event: unknown;
  error: string;
  lists: RegExp;
}[] = [
  {
    name: "deploy-steps",
    load: () => import("./deploy-steps.ts"),
    event: { action: "shiftEverything", input: {}, execution: EXECUTION },
    error: "InvalidInput",
    lists: /unknown deploy step "shiftEverything"; expected one of validate, awaitScan, .*abandon/,
  },
  {
    name: "cost-steps",
    load: () => import("./cost-steps.ts"),
    event: { action: "stopEverything", input: {}, execution: EXECUTION },
    error: "InvalidInput",
    lists: /unknown cost step "stopEverything"; expected one of plan, requestApproval, .*revertFailed/,
  },
  {
    name: "failover-steps",
    load: () => import("./failover-steps.ts"),
    event: { action: "promoteEverything", input: {}, execution: EXECUTION },
    error: "InvalidInput",
    lists: /unknown failover step "promoteEverything"; expected one of validate, preflight, .*report/,
  },
  {
    name: "secret-leak-steps",
    load: () => import("./secret-leak-steps.ts"),
    // An input that validates, so that only the action is wrong.
    event: { action: "publish", input: rotateOnLeakInput, execution: EXECUTION },
    error: "InvalidInvocation",
    lists: /unknown rotate-on-leak step "publish"; expected one of rotate, verify, .*recordFailure/,
  },
  {
    name: "rotate",
    load: () => import("./rotate.ts"),
    event: {
      Step: "deleteSecret",
      SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-AbCdEf",
      ClientRequestToken: "0123456789abcdef0123456789abcdef",
    },
    error: "UnknownStep",
    lists:
      /unknown step "deleteSecret"; Secrets Manager's steps are createSecret, setSecret, testSecret, finishSecret/,
  },
];

describe("the step functions", () => {
  it.each(cases.map((c) => [c.name, c] as const))(
    "%s rejects an action its unit does not define with a named error, before touching anything",
    async (_, c) => {
      const { make } = await c.load();
      const handler = make(() => untouchable) as Handler;

      const failure = await Promise.resolve(handler(c.event, context, () => undefined)).then(
        () => undefined,
        (error: unknown) => error as Error,
      );

      expect(failure?.name).toBe(c.error);
      expect(failure?.message).toMatch(c.lists);
    },
  );
});
