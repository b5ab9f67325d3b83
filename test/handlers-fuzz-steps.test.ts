import type { Server } from "node:http";
import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import type { FunctionName } from "../packages/core/src/wiring.ts";
import { alert, costConfig, startCostPlane } from "./support/cost.ts";
import { runbookConfig, START, secondaryEndpoint, seedRegions } from "./support/failover.ts";
import { type Json, pathsOf, pick, plantHostile, random } from "./support/fuzz.ts";
import {
  callNames,
  capture,
  eventsFor,
  fuzzInvocations,
  printTallies,
  type Tally,
} from "./support/fuzz-functions.ts";
import { example, fixture } from "./support/scenario.ts";
import { rotateOnLeakInput } from "./support/secrets.ts";

/**
 * Issue #11's fuzz, the functions that run a unit's steps (the state machines' task functions and
 * Secrets Manager's rotation function): real invocations, captured from flows run end to end on
 * the simulated account (or, for the two without a flow here, written as the service sends them),
 * with one to three hostile values planted in the workflow input (nine in ten: the fields the
 * execution was started with, as a console start or replay supplies them; what earlier states added
 * is the state machine's own) or in what names the invocation (the action, the execution; all of
 * Secrets Manager's). Every invocation whose step fails, fails with a name from Switchyard's one error
 * family (what the state machines' Retry/Catch and Secrets Manager read), having written nothing.
 * An invocation the mutation left valid runs its step; those are counted, not judged.
 */

const SEED = 20_261_131;
const STEPS = ["deploy-steps", "cost-steps", "failover-steps", "secret-leak-steps", "rotate"] as const;
type StepsFunction = (typeof STEPS)[number];
/**
 * A bare JavaScript error has no name a Retry/Catch (or Secrets Manager, or an operator) can act
 * on; Switchyard's own family and AWS's exceptions (`AccessDeniedException`, `<Service>.<Name>`) do.
 */
const UNNAMED = new Set([
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "URIError",
  "EvalError",
  "AggregateError",
]);

/** The secret the secrets plane manages (invented: no public sample of a managed secret exists). */
const SECRET = { name: "api", secretId: "prod/api", rotator: "random" } as const;

/** A rotate-on-leak invocation of the workflow's shape (the leak flow needs GitHub's API). */
const leakInvocation = {
  action: "rotate",
  input: rotateOnLeakInput,
  execution: "arn:aws:states:us-east-1:123456789012:execution:switchyard-rotate-on-leak:e-1",
};

let main: ControlPlane;
let failover: ControlPlane;
let secrets: ControlPlane;
let endpoint: Server;
const invocations: Record<StepsFunction, Json[]> = {
  "deploy-steps": [],
  "cost-steps": [],
  "failover-steps": [],
  "secret-leak-steps": [leakInvocation],
  rotate: [],
};
const tallies: Partial<Record<FunctionName, Tally>> = {};

beforeAll(async () => {
  // A deploy and a cost response run to their end; a failover to its approval and on.
  main = await startCostPlane(costConfig());
  capture(main, "deploy-steps", invocations["deploy-steps"]);
  capture(main, "cost-steps", invocations["cost-steps"]);
  main.account.ecr.pushImage("queue-worker", "stable", "image-fuzz");
  await main.deliver(alert() as never);
  await main.runOut();
  const secondary = await secondaryEndpoint();
  endpoint = secondary.server;
  failover = await startControlPlane(runbookConfig(secondary.url), { start: START });
  seedRegions(failover);
  capture(failover, "failover-steps", invocations["failover-steps"]);
  failover.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
  await failover.deliver(fixture("aws/health/route53-health-check-alarm.json") as never);
  await answerApproval(failover.context, "ignition", { approve: true, by: "fuzz" });
  await failover.runOut();
  // A managed secret rotated once by Secrets Manager: its four invocations of the rotation function.
  secrets = await startControlPlane(
    example((raw) => ({ ...raw, secrets: [SECRET] })),
    { secretValues: { [SECRET.secretId]: "fuzz-initial-value-0123456789" } },
  );
  capture(secrets, "rotate", invocations.rotate);
  await secrets.clients.secrets.send(
    new RotateSecretCommand({
      SecretId: SECRET.secretId,
      ClientRequestToken: "f0220000-0000-4000-8000-000000000001",
    }),
  );
  await secrets.settle();
}, 120_000);
afterAll(async () => {
  printTallies("step functions under the fuzz:", tallies);
  await main?.close();
  await failover?.close();
  await secrets?.close();
  endpoint?.close();
});

describe("every step function under mutated invocations (issue #11 fuzz)", () => {
  for (const fn of STEPS) {
    const count = eventsFor(fn);
    it(`${fn}: ${count} mutated invocations fail by name and write nothing`, async () => {
      const plane =
        fn === "failover-steps" ? failover : fn === "rotate" || fn === "secret-leak-steps" ? secrets : main;
      const captured = invocations[fn];
      expect(captured.length, `the flows invoked ${fn}`).toBeGreaterThan(0);
      const texts = captured.map((c) => {
        const { input: inner } = c as { input?: Json };
        // The whole carried input: what the execution was started with and what its states added
        // (a console start or replay may supply those fields too, and a step must check them).
        const input = inner === undefined ? [] : pathsOf(inner);
        // Beside the input, the rest of the invocation: what names it (the action, the execution)
        // and what the state machine passes beside the input (a part, an SDK result it read).
        const envelope = pathsOf(c).filter((p) => inner === undefined || p[0] !== "input");
        return { text: JSON.stringify(c), all: envelope, input };
      });
      const draw = random(SEED ^ fn.length ^ fn.charCodeAt(0));
      const t = await fuzzInvocations(plane, fn, tallies, {
        count,
        principal: "states.amazonaws.com",
        next: () => {
          const source = pick(draw, texts);
          const invocation = JSON.parse(source.text) as Json & { input?: Json };
          if (source.input.length > 0 && draw() < 0.9)
            plantHostile(draw, invocation.input ?? null, source.input);
          else plantHostile(draw, invocation, source.all);
          return { event: invocation };
        },
        judge: ({ event }, out, writesMade) => {
          if (!out.error) return { as: "accepted" };
          const writes = writesMade();
          const bad = UNNAMED.has(out.error.errorType) || writes.length > 0;
          return {
            as: "rejected",
            broke: bad
              ? `${out.error.errorType} (${out.error.errorMessage.slice(0, 200)}) after writing [${callNames(writes)}] on ${JSON.stringify(event)}`
              : undefined,
          };
        },
      });
      expect(t.broken, `${t.brokenCount} of ${t.events} invocations broke a rule`).toEqual([]);
      expect(t.rejected).toBeGreaterThan(0);
    }, 600_000);
  }
});
