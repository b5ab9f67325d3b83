import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { seedHookFunctions } from "../packages/cli/src/scenarios/deploy-hooks.ts";
import { decideApproval } from "../packages/core/src/cost/approval.ts";
import { decideDeployApproval } from "../packages/core/src/deployments/gates.ts";
import { functions, sentActions, stateMachines } from "../packages/core/src/wiring.ts";
import type { CallRecord } from "../packages/sim/src/index.ts";
import {
  alert as costAlert,
  costConfig,
  deliverSns,
  grown,
  seedCostWorld,
  seedStopWorld,
  snsAlert,
  withStopActions,
} from "./support/cost.ts";
import { githubWorker, untilAlias } from "./support/deploy.ts";
import {
  approveAndRunOut,
  auroraGlobal,
  runByHand,
  runbookConfig,
  secondaryEndpoint,
  seedRegions,
  startAgainFromConsole,
} from "./support/failover.ts";
import { signedFunctionUrlEvent } from "./support/github-api.ts";
import { type BusEvent, busEvent, example } from "./support/scenario.ts";
import { podinfoLeakable } from "./support/secrets.ts";

const start = Date.parse("2019-11-16T01:54:34Z");
const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
// Invented: the local control plane's webhook secret (no public sample exists for a secret).
const SECRET = "iam-test-webhook-secret-7c41d9";

/**
 * The event without its id: no event EventBridge delivers lacks one, so the type says it has one;
 * the bus carries it anyway, to show the handler dead-letters it.
 */
function withoutId({ id: _, ...rest }: BusEvent): BusEvent {
  return rest as BusEvent;
}

/** A function URL request (payload format 2.0) carrying a signed GitHub delivery. */
const webhookRequest = (event: string, payload: unknown, delivery: string) =>
  signedFunctionUrlEvent({ event, payload, delivery, secret: SECRET, timeEpoch: start });

/**
 * Drives every path that sends AWS calls — deploys, gates, rollbacks, dead-lettering, webhook
 * deliveries and their failures — and records the calls each function and state machine made.
 */
async function exercise(): Promise<CallRecord[]> {
  const calls: CallRecord[] = [];
  const run = async (flow: (plane: ControlPlane) => Promise<void>, config = example()) => {
    const plane = await startControlPlane(config, { start, webhookSecret: SECRET });
    try {
      await flow(plane);
      await plane.runOut();
      calls.push(...plane.account.calls);
    } finally {
      await plane.close();
    }
  };
  const push = () => busEvent("aws/ecr/image-push.json");
  const clean = () => busEvent("scenarios/image-scan-clean.json");
  // Clean deploy, with the scan result arriving before the deployment waits for it.
  await run(async (p) => {
    await p.deliver(clean());
    await p.deliver(push());
  });
  // Rollback on alarm, a duplicate push, and malformed events of every routed kind (dead-lettered).
  await run(
    async (p) => {
      await p.deliver(push());
      await p.deliver(push());
      await p.deliver(clean());
      await untilAlias(p, "api-handler:live", { version: "1", weights: { "2": 0.1 } });
      // An older scan of the same image delivered late is superseded: the newest stored one is read.
      await p.deliver(
        busEvent("scenarios/image-scan-clean.json", (e) => {
          e.id = "late-older-scan";
          e.time = "2019-11-16T01:50:00Z";
        }),
      );
      p.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
      await p.deliver(busEvent("scenarios/alarm-server-cpu-too-high.json"));
      for (const path of [
        "aws/ecr/image-push.json",
        "aws/ecr/image-scan.json",
        "scenarios/alarm-server-cpu-too-high.json",
      ]) {
        await p.deliver(
          busEvent(path, (e) => {
            e.id = `${e.id.slice(0, -4)}dead`;
            delete e.detail["repository-name"];
            delete e.detail.alarmName;
          }),
        );
      }
      // The api's webhook (nothing listens: the notice fails, as a webhook may) gets the rollback
      // notice with its timeline, read from the audit log.
    },
    example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) =>
        d.name === "api" ? { ...d, notify: { webhookUrl: "http://127.0.0.1:9/hooks/deploys" } } : d,
      ),
    })),
  );
  // Alarms and analysis scoped to the new version (ADR 0026): the api's analysis reads its
  // version's metrics and its version alarm is created and deleted; the worker's version alarm
  // fires on its canary's errors, the rollback function rolls back, deploy-watch deletes it.
  await run(
    async (p) => {
      await p.deliver(push());
      await p.deliver(clean());
      p.account.ecr.pushImage("queue-worker", "stable", "iam-version-alarm");
      await untilAlias(p, "queue-worker:live", { version: "1", weights: { "2": 0.1 } });
      p.account.cloudwatch.recordLambdaInvocations({
        functionName: "queue-worker",
        alias: "live",
        version: "2",
        count: 100,
        errors: 50,
      });
    },
    example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) =>
        d.name === "api" || d.name === "worker"
          ? {
              ...d,
              strategy: "Canary10Percent5Minutes",
              versionAlarms: [{ name: "errors", metric: "Errors", threshold: 10 }],
              ...(d.name === "api"
                ? { analysis: { metrics: [{ name: "error-rate", kind: "errorRate", max: 0.05 }] } }
                : {}),
            }
          : d,
      ),
    })),
  );
  // A deploy that fails in place (retries exhausted at the 100% shift) is reported by deploy-watch;
  // a malformed status change event is dead-lettered.
  await run(async (p) => {
    p.account.injectFault({
      service: "lambda",
      action: "UpdateAlias",
      error: "ServiceException",
      times: 5,
      when: (input) => input.FunctionVersion === "2",
    });
    await p.deliver(push());
    await p.deliver(clean());
    await p.runOut();
    await p.deliver(
      busEvent("aws/states/execution-status-change-failed.json", (e) => {
        e.detail.stateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-deploy";
        delete e.detail.executionArn;
      }),
    );
  });
  // A newer push supersedes the worker's deployment in flight; a push beyond the action limit is
  // refused (its start claim given back).
  await run(
    async (p) => {
      p.account.ecr.pushImage("queue-worker", "stable", "a");
      await untilAlias(p, "queue-worker:live", { version: "1", weights: { "2": 0.1 } });
      p.account.ecr.pushImage("queue-worker", "stable", "b");
      await p.settle();
      p.account.ecr.pushImage("queue-worker", "stable", "c");
      await p.settle();
    },
    example((raw) => ({ ...raw, safety: { ...raw.safety, actionLimit: { max: 2, window: "1h" } } })),
  );
  // Queued pushes: one starts when the deployment in flight finishes, one when an execution is
  // stopped from the console mid-bake (deploy-watch restores the alias and starts it).
  await run(
    async (p) => {
      p.account.ecr.pushImage("queue-worker", "stable", "a");
      await untilAlias(p, "queue-worker:live", { version: "1", weights: { "2": 0.1 } });
      p.account.ecr.pushImage("queue-worker", "stable", "b");
      await untilAlias(p, "queue-worker:live", { version: "2", weights: { "3": 0.1 } });
      p.account.ecr.pushImage("queue-worker", "stable", "c");
      await p.settle();
      const running = p.account.sfn.executions().find((e) => e.status === "RUNNING");
      await p.clients.sfn.send(new StopExecutionCommand({ executionArn: String(running?.arn) }));
      await p.settle();
    },
    example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) => (d.name === "worker" ? { ...d, onNewerImage: "queue" } : d)),
    })),
  );
  // Traffic hooks and an approval gate: a Lambda hook invoked before traffic (it reports through
  // the callback), an HTTP probe after 100% that fails (its result answers the wait as failed).
  const probed = createServer((_req, res) => res.writeHead(503).end("down"));
  await new Promise<void>((resolve) => probed.listen(0, "127.0.0.1", resolve));
  try {
    await run(
      async (p) => {
        seedHookFunctions(p, { "smoke-test": "Succeeded" });
        p.account.ecr.pushImage("queue-worker", "stable", "a");
        await p.runOut();
        await decideDeployApproval(p.context, "worker", "approve", "iam-test", "least privilege");
      },
      example((raw) => ({
        ...raw,
        deployments: raw.deployments?.map((d) =>
          d.name === "worker"
            ? {
                ...d,
                strategy: "Canary10Percent5Minutes",
                approvals: [{ beforeStep: 2 }],
                hooks: {
                  beforeAllowTraffic: [{ lambda: { function: "smoke-test" } }],
                  afterAllowTraffic: [
                    {
                      http: {
                        url: `http://127.0.0.1:${(probed.address() as AddressInfo).port}/`,
                        timeout: "1s",
                        retries: 0,
                      },
                    },
                  ],
                },
              }
            : d,
        ),
      })),
    );
  } finally {
    probed.close();
  }
  // A GitHub release deploys the image its tag names (and one whose image is missing does not).
  await run(
    async (p) => {
      p.account.ecr.pushImage("queue-worker", "0.0.1");
      await p.deliver(busEvent("github/release-published.json"));
      await p.deliver(
        busEvent<{ release: { tag_name: string } }>("github/release-published.json", (e) => {
          e.id = `${e.id}-missing`;
          e.detail.release.tag_name = "9.9.9";
        }),
      );
    },
    githubWorker(["release"]),
  );
  // GitHub deliveries: accepted, duplicate, and one whose PutEvents fails (the delivery record is deleted).
  await run(async (p) => {
    const payload = webhooks.find((w) => w.name === "deployment")?.examples[0] as {
      deployment: { id: number };
    };
    const invoke = async (delivery: string, body: unknown = payload) =>
      p.account.lambda.invoke(
        `${LOCAL_NAMES.functionPrefix}github-webhook`,
        await webhookRequest("deployment", body, delivery),
        { principal: "function-url" },
      );
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    p.account.injectFault({ service: "events", action: "PutEvents", error: "InternalException", times: 1 });
    // Another deployment: the same one under a new delivery id is a duplicate by content.
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0959", {
      ...payload,
      deployment: { ...payload.deployment, id: payload.deployment.id + 1 },
    });
  });
  // Secret rotation: a leak alert rotates a managed API key (rotation function, leak workflow; the
  // alert cannot be resolved here, so the failure is recorded), an unmapped alert is notified, and
  // a malformed alert is dead-lettered.
  await run(
    async (p) => {
      p.account.secrets.seedSecret("prod/podinfo/api", JSON.stringify({ apiKey: "iam-test-initial-key" }));
      p.account.secrets.seedSecret("switchyard/github-token", "iam-test-token");
      p.account.secrets.configureRotation("prod/podinfo/api", {
        lambdaArn: p.account.lambda.functionArn(`${LOCAL_NAMES.functionPrefix}rotate`),
        scheduleExpression: "rate(7 days)",
      });
      const alert = "github/secret-scanning-alert-created.json";
      await p.deliver(busEvent(alert));
      await p.runOut();
      await p.deliver(
        busEvent<{ alert: { secret_type: string } }>(alert, (e) => {
          e.id = `${e.id.slice(0, -4)}beef`;
          e.detail.alert.secret_type = "slack_api_token";
        }),
      );
      await p.deliver(
        busEvent<{ alert: Record<string, unknown> }>(alert, (e) => {
          e.id = `${e.id.slice(0, -4)}dead`;
          delete e.detail.alert.number;
        }),
      );
    },
    example((raw) => ({
      ...raw,
      secrets: [podinfoLeakable],
      // Nothing listens here: resolving the alert fails, and the workflow records that.
      secretScanning: { tokenSecret: "switchyard/github-token", apiUrl: "http://127.0.0.1:9" },
    })),
  );
  // A GitHub deployment whose statuses are written back: the token is read (nothing listens at the
  // API address, so the write-back is recorded as failed and the deployment goes on).
  await run(
    async (p) => {
      p.account.secrets.seedSecret("switchyard/github-token", "iam-test-github-token");
      p.account.ecr.pushImage("queue-worker", "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
      await p.settle();
      await p.deliver(busEvent("github/deployment-created.json"));
    },
    githubWorker({
      on: ["deployment"],
      statuses: { tokenSecret: "switchyard/github-token", apiUrl: "http://127.0.0.1:9" },
    }),
  );
  // Stuck rotations: a rotation whose createSecret failed leaves an empty AWSPENDING version; the
  // hourly schedule reports it, clears it and rotates again; an event without an id is dead-lettered.
  await run(
    async (p) => {
      p.account.secrets.seedSecret("prod/podinfo/api", JSON.stringify({ apiKey: "iam-test-initial-key" }));
      p.account.secrets.configureRotation("prod/podinfo/api", {
        lambdaArn: p.account.lambda.functionArn(`${LOCAL_NAMES.functionPrefix}rotate`),
        scheduleExpression: "rate(7 days)",
      });
      p.account.injectFault({
        service: "secretsmanager",
        action: "PutSecretValue",
        error: "InternalServiceError",
        times: 1,
      });
      await p.clients.secrets.send(new RotateSecretCommand({ SecretId: "prod/podinfo/api" }));
      const schedule = "aws/events/scheduled-event.json";
      const stuckRule = "arn:aws:events:us-east-1:123456789012:rule/switchyard-secrets-stuck-check";
      await p.deliver(
        busEvent(schedule, (e) => {
          e.resources = [stuckRule];
        }),
      );
      await p.deliver(
        withoutId(
          busEvent(schedule, (e) => {
            e.resources = [stuckRule];
          }),
        ),
      );
    },
    example((raw) => ({
      ...raw,
      secrets: [
        {
          name: "podinfo-api",
          secretId: "prod/podinfo/api",
          rotator: "random",
          options: { field: "apiKey" },
        },
      ],
    })),
  );
  // Cost responses: a cap reverted on resolution; a critical tier approved while a resolution
  // waits (the watch step answers itself), its schedule disabled then enabled again; malformed
  // alerts of both delivery paths dead-lettered.
  await run(async (p) => {
    seedCostWorld(p);
    await p.deliver(costAlert());
    await p.deliver(
      costAlert((e) => {
        e.id = "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e00a1";
        e.detail.feedback = "NO";
      }),
    );
    await deliverSns(
      p,
      snsAlert((m) => {
        m.impact = { maxImpact: 9000, totalImpact: 9000 };
        m.dimensionalValue = "AWS Lambda";
      }),
    );
    await deliverSns(
      p,
      snsAlert((m) => {
        m.impact = { maxImpact: 9000, totalImpact: 9000 };
        m.dimensionalValue = "AWS Lambda";
        m.feedback = "YES";
      }),
    );
    await decideApproval(p.context, "6de0dd1d-feb4-488a-a55d-ff130a7a285a", "approve", "iam-test");
    await p.settle();
    await deliverSns(
      p,
      snsAlert((m) => delete m.impact),
    );
    await p.deliver(grown(-1, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e00a2"));
  }, costConfig());
  // Cost responses that stop tagged resources: a critical tier approved, its EC2 instance, RDS
  // instance and ECS service found by tag and stopped, then started again on resolution.
  await run(async (p) => {
    seedCostWorld(p);
    seedStopWorld(p);
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e00b1"));
    await decideApproval(p.context, "12345678-abcd-ef12-3456-987654321a12", "approve", "iam-test");
    await p.settle();
    p.account.clock.tick(10 * 60_000);
    await p.settle();
    await p.deliver(
      costAlert((e) => {
        e.id = "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e00b2";
        e.detail.feedback = "PLANNED_ACTIVITY";
      }),
    );
  }, costConfig(withStopActions()));
  // Failover: a health-check alarm starts the runbook; a console start meanwhile refuses at
  // preflight (another failover runs); the first is approved and fails over every part; a
  // malformed AWS Health event is dead-lettered; an ARC autoshift is recorded and notified.
  const endpoint = await secondaryEndpoint();
  try {
    await run(async (p) => {
      seedRegions(p);
      p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
      await p.deliver(busEvent("aws/health/route53-health-check-alarm.json"));
      const [first] = p.account.sfn.executions().filter((e) => e.name.startsWith("ignition-"));
      if (!first) throw new Error("the alarm started no failover");
      await startAgainFromConsole(p, first, "console");
      await p.settle();
      await approveAndRunOut(p, "iam-test");
      // Then back: a new replica in the old primary region, promoted once in sync.
      await runByHand(p, "failback", "iam-test");
      await p.deliver(
        busEvent("aws/health/public-elb-operational-issue.json", (e) => {
          delete e.detail.service;
        }),
      );
      // An ARC autoshift is recorded and notified (SNS), never failed over.
      await p.deliver(busEvent("aws/arc-zonal-shift/autoshift-in-progress-resource.json"));
    }, runbookConfig(endpoint.url));
    // An AWS Health issue starts a failover that waits; the alarm, a second signal, approves it.
    await run(
      async (p) => {
        seedRegions(p);
        await p.deliver(busEvent("aws/health/public-elb-operational-issue.json"));
        p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
        await p.deliver(busEvent("aws/health/route53-health-check-alarm.json"));
      },
      runbookConfig(endpoint.url, (r) => {
        r.approval = { timeout: "30m", autoApprove: true };
        r.triggers = { alarms: ["ignition-primary-health"], health: true };
      }),
    );
    // An Aurora global database: an alarm fails over (data loss allowed), failback switches over
    // back; a start by hand switches over.
    await run(
      async (p) => {
        seedRegions(p);
        p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
        await p.deliver(busEvent("aws/health/route53-health-check-alarm.json"));
        await approveAndRunOut(p, "iam-test");
        await runByHand(p, "failback", "iam-test");
      },
      runbookConfig(endpoint.url, auroraGlobal),
    );
    await run(
      async (p) => {
        seedRegions(p);
        await runByHand(p, "failover", "iam-test");
      },
      runbookConfig(endpoint.url, auroraGlobal),
    );
  } finally {
    endpoint.server.close();
  }
  return calls;
}

describe("least privilege: each function's policy is exactly what its code sends", () => {
  let recorded: CallRecord[] = [];
  const sentBy = (principal: string) =>
    [
      ...new Set(recorded.filter((c) => c.principal === principal).map((c) => `${c.service}:${c.action}`)),
    ].sort();

  afterAll(() => {
    recorded = [];
  });

  it("records the calls of every flow", async () => {
    recorded = await exercise();
    expect(recorded.length).toBeGreaterThan(50);
  });

  for (const fn of functions) {
    it(`grants ${fn.name} exactly the actions it was seen sending`, () => {
      expect(sentBy(`${LOCAL_NAMES.functionPrefix}${fn.name}`)).toEqual(sentActions(fn.permissions));
    });
  }

  for (const machine of stateMachines) {
    it(`grants the ${machine.name} state machine exactly the actions it was seen sending`, () => {
      expect(sentBy(`states:${LOCAL_NAMES.functionPrefix}${machine.name}`)).toEqual(
        sentActions(machine.permissions),
      );
    });
  }

  it("grants no wildcard action anywhere", () => {
    const all = [
      ...functions.flatMap((f) => f.permissions),
      ...stateMachines.flatMap((m) => m.permissions),
    ].flatMap((p) => p.actions);
    expect(all.filter((a) => a.includes("*"))).toEqual([]);
  });
});
