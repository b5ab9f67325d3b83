import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutFunctionConcurrencyCommand } from "@aws-sdk/client-lambda";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../../packages/cli/src/local/control-plane.ts";
import type { Config } from "../../packages/core/src/config/index.ts";
import { type AuditRecord, listAudit } from "../../packages/core/src/store/state.ts";
import { it as planeIt } from "./plane.ts";
import { type BusEvent, busEvent, example, fixture } from "./scenario.ts";

/** The AWS sample alert's time: the virtual clock starts there. */
export const COST_START = Date.parse("2021-05-25T10:15:00Z");

/** The AWS sample alert's anomalyId: the key of its response record. */
export const ANOMALY = "12345678-abcd-ef12-3456-987654321a12";

/** The staging instance seedStopWorld leaves free to stop (`ignition-worker`). */
export const WORKER = "i-0a1b2c3d4e5f60001";

/**
 * The cost policy the tests run (invented for them): Lambda spend graded notice / act /
 * critical, CloudTrail spend noticed. `billing-api` and the `prod-backup` schedule carry
 * protected tags (see seedCostWorld), so no rule may touch them.
 */
export function costConfig(
  change: (cost: Record<string, unknown>) => void = () => undefined,
  webhookUrl?: string,
): Config {
  return example((raw) => {
    const cost: Record<string, unknown> = {
      ...(webhookUrl ? { webhookUrl } : {}),
      approvalTimeout: "1h",
      ttl: "24h",
      rules: [
        {
          name: "lambda-spend",
          match: { services: ["AWS Lambda"] },
          tiers: [
            { name: "notice", minImpact: 100, minPercent: 10, actions: [{ type: "notify" }] },
            {
              name: "act",
              minImpact: 1000,
              minPercent: 100,
              actions: [
                { type: "notify" },
                {
                  type: "cap-lambda-concurrency",
                  functions: ["batch-worker", "billing-api"],
                  concurrency: 5,
                },
              ],
            },
            {
              name: "critical",
              minImpact: 5000,
              actions: [
                { type: "notify" },
                { type: "disable-schedules", rules: ["nightly-report", "prod-backup"] },
              ],
            },
          ],
        },
        {
          name: "cloudtrail",
          match: { services: ["AWS CloudTrail"] },
          tiers: [{ name: "notice", minImpact: 10, actions: [{ type: "notify" }] }],
        },
      ],
    };
    change(cost);
    return { ...raw, cost };
  });
}

/** The resources the policy names: one function and one schedule free to touch, one of each protected. */
export function seedCostWorld(plane: ControlPlane): void {
  plane.account.lambda.tagFunction("batch-worker", { team: "data", environment: "dev" });
  plane.account.lambda.tagFunction("billing-api", { environment: "production" });
  plane.account.events.addScheduledRule({
    name: "nightly-report",
    schedule: "cron(0 2 * * ? *)",
    tags: { environment: "dev" },
  });
  plane.account.events.addScheduledRule({
    name: "prod-backup",
    schedule: "rate(1 hour)",
    tags: { "switchyard:protected": "true" },
  });
}

/** The non-production side of the Ignition-like world the stop actions select (invented for the tests). */
export const NON_PROD = { environment: ["dev", "staging"] };

/**
 * The test policy's critical tier stopping what NON_PROD selects (EC2, RDS, ECS cluster
 * "ignition") instead of disabling schedules; `select` overrides the selector.
 */
export function withStopActions(select: Record<string, string[]> = NON_PROD) {
  return (cost: Record<string, unknown>) => {
    tierActions(cost, 0, 2).splice(
      1,
      1,
      { type: "stop-ec2-instances", select },
      { type: "stop-rds-instances", select },
      { type: "scale-ecs-services-to-zero", clusters: ["ignition"], select },
    );
  };
}

/**
 * EC2 instances, RDS instances and ECS services: in each, one staging resource free to stop,
 * one staging resource carrying the protected tag, and one production resource.
 */
export function seedStopWorld(plane: ControlPlane): void {
  const { ec2, rds, ecs, region } = plane.account;
  ec2.seedInstance({ id: WORKER, tags: { Name: "ignition-worker", environment: "staging" } });
  ec2.seedInstance({
    id: "i-0a1b2c3d4e5f60002",
    tags: { Name: "ignition-bastion", environment: "staging", "switchyard:protected": "true" },
  });
  ec2.seedInstance({ id: "i-0a1b2c3d4e5f60003", tags: { Name: "ignition-web", environment: "production" } });
  rds.seedInstance({ id: "ignition-staging", region, tags: { environment: "staging" } });
  rds.seedInstance({
    id: "ignition-staging-audit",
    region,
    tags: { environment: "staging", "switchyard:protected": "true" },
  });
  rds.seedInstance({ id: "ignition-prod", region, tags: { environment: "production" } });
  ecs.seedService({
    cluster: "ignition",
    service: "api-staging",
    region,
    desired: 3,
    tags: { environment: "staging" },
  });
  ecs.seedService({
    cluster: "ignition",
    service: "worker-staging",
    region,
    desired: 2,
    tags: { environment: "staging", "switchyard:protected": "true" },
  });
  ecs.seedService({
    cluster: "ignition",
    service: "api-prod",
    region,
    desired: 6,
    tags: { environment: "production" },
  });
}

/**
 * A control plane on `config`, its clock at the sample alert's time, the policy's resources
 * seeded; the caller closes it (property tests start one per schedule).
 */
export async function startCostPlane(config: Config = costConfig()): Promise<ControlPlane> {
  const plane = await startControlPlane(config, { start: COST_START });
  seedCostWorld(plane);
  return plane;
}

/**
 * `it` with a `startCostPlane(config?)` fixture: a control plane on the cost test policy (or
 * `config`), its clock at the sample alert's time, the policy's resources seeded; closed after
 * the test.
 */
export const it = planeIt.extend(
  "startCostPlane",
  ({ startPlane }) =>
    async (config: Config = costConfig()): Promise<ControlPlane> => {
      const plane = await startPlane(config, { start: COST_START });
      seedCostWorld(plane);
      return plane;
    },
);

export type AlertEvent = BusEvent<Record<string, unknown> & { impact: Record<string, unknown> }>;

/** AWS's sample "Anomaly Detected" event (adapted, see fixtures/aws/ce/README.md), changed by `change`. */
export function alert(change: (e: AlertEvent) => void = () => undefined): AlertEvent {
  return busEvent("aws/ce/anomaly-detected.json", change);
}

/** The same anomaly re-sent by AWS later with a larger impact: a new event id, the same anomalyId. */
export function grown(totalImpact: number, id: string): AlertEvent {
  return alert((e) => {
    e.id = id;
    e.detail.impact.totalImpact = totalImpact;
    e.detail.impact.maxImpact = totalImpact;
  });
}

/** The same anomaly re-sent by AWS once someone gave feedback that it was planned: its resolution. */
export function resolved(id: string): AlertEvent {
  return alert((e) => {
    e.id = id;
    e.detail.feedback = "PLANNED_ACTIVITY";
  });
}

export type SnsEvent = {
  Records: { Sns: { Message: string; MessageId: string } & Record<string, unknown> }[];
};

/** The SNS-delivered sample, its message changed by `change` (or replaced by the text it returns). */
export function snsAlert(
  change: (message: Record<string, unknown>) => string | undefined | boolean = () => undefined,
): SnsEvent {
  const event = fixture<SnsEvent>("aws/ce/sns-anomaly-lambda-event.json");
  const record = event.Records[0];
  if (!record) throw new Error("the SNS fixture has no record");
  const message = JSON.parse(record.Sns.Message) as Record<string, unknown>;
  const replaced = change(message);
  record.Sns.Message = typeof replaced === "string" ? replaced : JSON.stringify(message);
  return event;
}

/** The actions of one tier of one rule of the test policy, to change in place. */
export function tierActions(
  cost: Record<string, unknown>,
  rule: number,
  tier: number,
): Record<string, unknown>[] {
  const found = (cost.rules as { tiers: { actions: Record<string, unknown>[] }[] }[])[rule]?.tiers[tier];
  if (!found) throw new Error(`the test policy has no tier ${tier} in rule ${rule}`);
  return found.actions;
}

/** What SNS does for a subscribed function: invokes it with the event, asynchronously. */
export async function deliverSns(plane: ControlPlane, event: unknown) {
  const out = await plane.account.activity.track(() =>
    plane.account.lambda.invoke(`${LOCAL_NAMES.functionPrefix}cost-intake`, event, {
      principal: "sns.amazonaws.com",
    }),
  );
  await plane.settle();
  return out;
}

/** Reserves `reserved` concurrent executions for `fn`, as its owner would before the anomaly. */
export async function reserveConcurrency(plane: ControlPlane, fn: string, reserved: number): Promise<void> {
  await plane.clients.lambda.send(
    new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: reserved }),
  );
}

/**
 * Fails, once, the state-table write that records `target` at `status` in the response record
 * ("applying": the write-ahead before the AWS write; "applied": the write right after it).
 */
export function failRecording(plane: ControlPlane, status: "applying" | "applied", target: string): void {
  plane.account.injectFault({
    service: "dynamodb",
    action: "UpdateItem",
    error: "ProvisionedThroughputExceededException",
    when: (input) => {
      const text = JSON.stringify(input);
      return text.includes(`"status":"${status}"`) && text.includes(`"target":"${target}"`);
    },
  });
}

export async function costAudit(plane: ControlPlane): Promise<AuditRecord[]> {
  return (await listAudit(plane.store)).filter((r) => r.reaction === "cost");
}

export function costExecutions(plane: ControlPlane) {
  return plane.account.sfn
    .executions()
    .filter((e) => e.stateMachineArn.endsWith(`:${LOCAL_NAMES.costStateMachine}`));
}

/** A Slack-compatible incoming webhook on this machine: records every JSON body posted. */
export async function webhookServer(): Promise<{
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
