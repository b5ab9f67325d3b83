import { afterEach, describe, expect } from "vitest";
import { startWebhook } from "../packages/cli/src/scenarios/webhook.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { operateDeployment } from "../packages/core/src/deployments/operator.ts";
import { untilAlias } from "./support/deploy.ts";
import { it } from "./support/plane.ts";
import { example } from "./support/scenario.ts";

// Deploy notifications (issue #12): started, each step, rolled back with the reason, succeeded,
// abandoned, with a timeline summary, to the SNS topic and a Slack-compatible webhook.

const WORKER = "queue-worker:live";

let webhook: Awaited<ReturnType<typeof startWebhook>>;
afterEach(async () => webhook?.close());

const withWebhook = (url: string): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" ? { ...d, notify: { webhookUrl: url } } : d,
    ),
  }));

const headlines = () => webhook.posts.map((p) => p.blocks[0]?.text.text);

describe("deploy notifications", () => {
  it("tells the webhook and the topic when a rollout starts, at each step, and when it succeeds, with its timeline", async ({
    startPlane,
  }) => {
    webhook = await startWebhook();
    const plane = await startPlane(withWebhook(webhook.url));

    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(headlines()).toEqual([
      "Switchyard: worker: deployment started",
      "Switchyard: worker: 10% shifted, bake 60 s",
      "Switchyard: worker: 25% shifted, bake 60 s",
      "Switchyard: worker: 50% shifted, bake 60 s",
      "Switchyard: worker: 75% shifted, bake 60 s",
      "Switchyard: worker: deployed",
    ]);
    const done = webhook.posts.at(-1)?.text ?? "";
    expect(done).toContain("Timeline:");
    expect(done).toMatch(/deploy\/started: published version 2 of queue-worker/);
    expect(done).toMatch(/deploy\/shifted: 75% on version 2, bake 60 s/);
    expect(done).toMatch(/deploy\/deployed: version 2 serves 100% of queue-worker:live/);
    const subjects = plane.account.sns.published().map((m) => m.Subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        "Switchyard: worker: deployment started",
        "Switchyard: worker: 10% shifted, bake 60 s",
        "Switchyard: worker deployed",
      ]),
    );
  });

  it("says why a rollout rolled back", async ({ startPlane }) => {
    webhook = await startWebhook();
    const plane = await startPlane(withWebhook(webhook.url));
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });

    plane.account.cloudwatch.observeState("WorkerDLQDepth", "ALARM");
    await plane.runOut();

    const rolledBack = webhook.posts.find(
      (p) => p.blocks[0]?.text.text === "Switchyard: worker: rolled back",
    );
    expect(rolledBack?.text).toMatch(/Reason: .*WorkerDLQDepth/);
  });

  it("tells an operator's pause, resume and abort, with who and why", async ({ startPlane }) => {
    webhook = await startWebhook();
    const plane = await startPlane(withWebhook(webhook.url));
    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
    const act = (verb: "pause" | "resume" | "abort", reason: string) =>
      operateDeployment(plane.context, { verb, deployment: "worker", by: "alice", reason });

    await act("pause", "watch it");
    await act("resume", "fine");
    await act("abort", "INC-42");

    expect(headlines().slice(-3)).toEqual([
      "Switchyard: worker: rollout paused",
      "Switchyard: worker: rollout resumed",
      "Switchyard: worker: rolled back",
    ]);
    expect(webhook.posts.at(-1)?.text).toContain("Reason: aborted by alice: INC-42");
  });

  it("never blocks the rollout when the webhook fails", async ({ startPlane }) => {
    webhook = await startWebhook(500);
    const plane = await startPlane(withWebhook(webhook.url));

    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();

    expect(webhook.posts.length).toBeGreaterThan(0);
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("refuses a webhook that is not an http(s) URL, naming the field", () => {
    expect(() => withWebhook("ftp://example.com/hook")).toThrow(
      /deployments\[1\]\.notify\.webhookUrl: must be an http\(s\) URL/,
    );
  });
});
