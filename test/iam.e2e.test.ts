import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { functions, sentActions, stateMachines } from "../packages/core/src/wiring.ts";
import type { CallRecord } from "../packages/sim/src/index.ts";
import { example, fixture, variant } from "./support/scenario.ts";

const start = Date.parse("2019-11-16T01:54:34Z");
const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
// Invented: the local control plane's webhook secret (no public sample exists for a secret).
const SECRET = "iam-test-webhook-secret-7c41d9";

/** A function URL request (payload format 2.0) carrying a signed GitHub delivery. */
async function webhookRequest(event: string, payload: unknown, delivery: string) {
  const body = JSON.stringify(payload);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": delivery,
      "x-hub-signature-256": await sign(SECRET, body),
    },
    requestContext: {
      http: {
        method: "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "192.30.252.1",
        userAgent: "GitHub-Hookshot/1",
      },
      timeEpoch: start,
    },
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
  };
}

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
  const push = () => fixture("aws/ecr/image-push.json") as never;
  const clean = () => fixture("scenarios/image-scan-clean.json") as never;
  // Clean deploy, with the scan result arriving before the deployment waits for it.
  await run(async (p) => {
    await p.deliver(clean());
    await p.deliver(push());
  });
  // Rollback on alarm, a duplicate push, and malformed events of every routed kind (dead-lettered).
  await run(async (p) => {
    await p.deliver(push());
    await p.deliver(push());
    await p.deliver(clean());
    p.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
    await p.deliver(fixture("scenarios/alarm-server-cpu-too-high.json") as never);
    for (const path of [
      "aws/ecr/image-push.json",
      "aws/ecr/image-scan.json",
      "scenarios/alarm-server-cpu-too-high.json",
    ]) {
      await p.deliver(
        variant<{ id: string; detail: Record<string, unknown> }>(path, (e) => {
          e.id = `${e.id.slice(0, -4)}dead`;
          delete e.detail["repository-name"];
          delete e.detail.alarmName;
        }) as never,
      );
    }
  });
  // A GitHub release deploys the image its tag names (and one whose image is missing does not).
  await run(
    async (p) => {
      p.account.ecr.pushImage("queue-worker", "0.0.1");
      await p.deliver(fixture("github/release-published.json") as never);
      await p.deliver(
        variant<{ id: string; detail: { release: { tag_name: string } } }>(
          "github/release-published.json",
          (e) => {
            e.id = `${e.id}-missing`;
            e.detail.release.tag_name = "9.9.9";
          },
        ) as never,
      );
    },
    example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) =>
        d.name === "worker"
          ? {
              ...d,
              image: { repository: "queue-worker" },
              github: { repository: "Codertocat/Hello-World", on: ["release"] },
            }
          : d,
      ),
    })),
  );
  // GitHub deliveries: accepted, duplicate, and one whose PutEvents fails (the delivery record is deleted).
  await run(async (p) => {
    const payload = webhooks.find((w) => w.name === "deployment")?.examples[0];
    const invoke = async (delivery: string) =>
      p.account.lambda.invoke(
        `${LOCAL_NAMES.functionPrefix}github-webhook`,
        await webhookRequest("deployment", payload, delivery),
        { principal: "function-url" },
      );
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0958");
    p.account.injectFault({ service: "events", action: "PutEvents", error: "InternalException", times: 1 });
    await invoke("72d3162e-cc78-11e3-81ab-4c9367dc0959");
  });
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
      expect(sentBy(`states:${LOCAL_NAMES.deployStateMachine}`)).toEqual(sentActions(machine.permissions));
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
