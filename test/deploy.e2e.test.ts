import { RedriveExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect } from "vitest";
import { executionOutcome, replay } from "../packages/cli/src/replay.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { canaryAt10Percent, consoleReplayOutcome, githubWorker, moveAliasByHand } from "./support/deploy.ts";
import { it } from "./support/plane.ts";
import { busEvent, example } from "./support/scenario.ts";

const push = () => busEvent("aws/ecr/image-push.json");
const cleanScan = () => busEvent("scenarios/image-scan-clean.json");
const criticalScan = () => busEvent("aws/ecr/image-scan.json");
const alarm = () => busEvent("scenarios/alarm-server-cpu-too-high.json");
describe("deploy by alias traffic shifting, on real AWS sample events", () => {
  it("shifts a clean canary 10% → 100% and ends on the new version", async () => {
    const report = await replay(example(), [push(), cleanScan()]);

    expect(report.aliases["api-handler:live"]).toEqual({ version: "2", weights: {} });
    expect(report.events.map((e) => e.status)).toEqual(["accepted", "accepted"]);
    const [deploy] = report.events[0]?.reactions ?? [];
    expect(deploy).toMatchObject({ reaction: "deploy", decision: "started", outcome: "deployed" });
    expect(deploy?.calls).toEqual(
      expect.arrayContaining(["lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:UpdateAlias"]),
    );
    const shifts = report.audit.filter((a) => a.decision === "shifted").map((a) => a.reason);
    expect(shifts).toEqual(["10% on version 2, bake 300 s", "100% on version 2"]);
  });

  it("shifts the worker's custom linear steps 10→25→50→75→100 with a check before each", async () => {
    const workerPush = busEvent("aws/ecr/image-push.json", (e) => {
      e.detail["repository-name"] = "queue-worker";
      e.detail["image-tag"] = "stable";
    });

    const report = await replay(example(), [workerPush]);

    expect(report.aliases["queue-worker:live"]).toEqual({ version: "2", weights: {} });
    expect(report.audit.filter((a) => a.decision === "shifted").map((a) => a.reason.split("%")[0])).toEqual([
      "10",
      "25",
      "50",
      "75",
      "100",
    ]);
    expect(report.executions[0]?.outcome).toBe("deployed");
  });

  it("rolls the alias back to the stable version when a guarding alarm fires mid-shift, and stops the deploy", async () => {
    const report = await replay(example(), [push(), cleanScan(), alarm()]);

    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
    const rollback = report.events[2]?.reactions[0];
    expect(rollback).toMatchObject({ reaction: "rollback", outcome: "rolled-back" });
    expect(rollback?.calls).toEqual(expect.arrayContaining(["lambda:UpdateAlias", "states:StopExecution"]));
    expect(report.executions.map((e) => e.outcome)).toEqual(["rolled-back"]);
  });

  it("rolls back without polling: the alias is restored while the alarm event is handled, before any time passes", async ({
    plane,
  }) => {
    await canaryAt10Percent(plane);
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.1 } });
    const before = plane.account.clock.now();
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");

    await plane.deliver(alarm());

    expect(plane.account.clock.now()).toBe(before);
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(plane.account.sfn.executions()[0]?.status).toBe("ABORTED");
  });

  it("blocks an image whose scan has CRITICAL findings and leaves the alias alone", async () => {
    const report = await replay(example(), [push(), criticalScan()]);

    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(report.executions.map((e) => e.outcome)).toEqual(["blocked"]);
    const blocked = report.audit.find((a) => a.decision === "blocked");
    expect(blocked?.reason).toBe("10 CRITICAL finding(s) at or above the gate's threshold HIGH");
  });

  it("blocks the deploy when no scan result arrives before the gate's timeout", async () => {
    const report = await replay(example(), [push()]);

    expect(report.executions.map((e) => e.outcome)).toEqual(["blocked"]);
    expect(report.audit.find((a) => a.decision === "blocked")?.reason).toMatch(
      /no scan result .* within 1800 s/,
    );
    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
  });

  it("holds a step while a guarding alarm has INSUFFICIENT_DATA and goes on when it is OK again", async ({
    plane,
  }) => {
    await canaryAt10Percent(plane);
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "INSUFFICIENT_DATA");
    for (let i = 0; i < 4; i++) {
      plane.account.clock.advance();
      await plane.settle();
    }
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.1 } });

    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "OK");
    await plane.runOut();

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });
  });

  it("gives up and restores the stable version when INSUFFICIENT_DATA outlasts alarmHold.maxWait", async ({
    plane,
  }) => {
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "INSUFFICIENT_DATA");

    await plane.runOut();

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("abandoned");
  });

  it("treats an alarm name that does not exist as a config error, never as OK", async ({ startPlane }) => {
    const config = example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d, i) =>
        i === 0 ? { ...d, alarms: ["ServerCpuTooHigh", "NoSuchAlarm"] } : d,
      ),
    }));
    const plane = await startPlane(config);
    // The control plane seeds every alarm the config names; remove one as if it had been deleted.
    plane.account.cloudwatch.deleteAlarm("NoSuchAlarm");
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    await plane.runOut();

    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("abandoned");
  });

  it("deploys once when EventBridge delivers the same push twice", async () => {
    const report = await replay(example(), [push(), push(), cleanScan()]);

    expect(report.executions).toHaveLength(1);
    expect(report.events[1]?.reactions[0]?.decision).toBe("duplicate");
    expect(report.aliases["api-handler:live"]).toEqual({ version: "2", weights: {} });
  });

  it("starts no more deployments than safety.actionLimit allows in a window, and says why", async () => {
    const config = example((raw) => ({
      ...raw,
      safety: { ...raw.safety, actionLimit: { max: 1, window: "1h" } },
    }));
    const workerPush = busEvent("aws/ecr/image-push.json", (e) => {
      e.id = "13cde686-328b-6117-af20-0e5566167499";
      e.detail["repository-name"] = "queue-worker";
      e.detail["image-tag"] = "stable";
    });

    const report = await replay(config, [push(), workerPush]);

    expect(report.executions).toHaveLength(1);
    expect(report.events[1]?.reactions[0]?.decision).toBe("limited");
    expect(report.audit.find((a) => a.subject === "worker")?.reason).toMatch(
      /^action limit reached \(1 per 3600 s, safety.actionLimit\)/,
    );
    expect(report.aliases["queue-worker:live"]).toEqual({ version: "1", weights: {} });
  });

  it("records the plan and changes nothing for a dry-run deployment", async () => {
    const config = example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d, i) => (i === 0 ? { ...d, dryRun: true } : d)),
    }));

    const report = await replay(config, [push(), cleanScan()]);

    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(report.executions.map((e) => e.outcome)).toEqual(["dry-run"]);
    const plan = report.audit.find((a) => a.decision === "dry-run");
    expect(plan?.details?.plan).toEqual(
      expect.arrayContaining([expect.stringMatching(/^lambda:PublishVersion api-handler/)]),
    );
  });
});

describe("deploys triggered by GitHub", () => {
  it.override("config", () => githubWorker());

  it("deploys the image a published release's tag names, pinned by its digest", async ({ plane }) => {
    const digest = plane.account.ecr.pushImage("queue-worker", "0.0.1");
    await plane.settle();

    const delivery = await plane.deliver(busEvent("github/release-published.json"));
    await plane.runOut();

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "deploy", outcome: "started" });
    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(JSON.parse(String(execution?.input)).imageUri).toBe(
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/queue-worker@${digest}`,
    );
  });

  it("deploys the image tagged with a GitHub deployment's commit", async ({ plane }) => {
    plane.account.ecr.pushImage("queue-worker", "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
    await plane.settle();

    await plane.deliver(busEvent("github/deployment-created.json"));
    await plane.runOut();

    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
  });

  it("does nothing, and says which image is missing, when the release's image is not in ECR", async ({
    plane,
  }) => {
    plane.account.ecr.pushImage("queue-worker", "0.0.0");
    await plane.settle();

    const delivery = await plane.deliver(busEvent("github/release-published.json"));

    expect(delivery.outcomes[0]?.result).toMatchObject({ outcome: "no-action" });
    expect(plane.account.sfn.executions()).toHaveLength(0);
    const audit = await listAudit(plane.store);
    expect(audit.map((a) => a.reason)).toContainEqual(
      expect.stringMatching(/no image queue-worker:0\.0\.1 in ECR; push it, then redeliver/),
    );
  });
});

describe("replays and redrives after the world moved on", () => {
  it("ends a console replay of an old deploy as stale, without touching the newer version", async ({
    plane,
  }) => {
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    await plane.runOut();
    const [first] = plane.account.sfn.executions();
    const second = busEvent("aws/ecr/image-push.json", (e) => {
      e.id = "13cde686-328b-6117-af20-0e5566167483";
      e.detail["image-digest"] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    });
    await plane.deliver(second);
    await plane.deliver(
      busEvent("scenarios/image-scan-clean.json", (e) => {
        e.id = "85fc3613-e913-7fc4-a80c-a3753e4aa9b0";
        e.detail["image-digest"] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
      }),
    );
    await plane.runOut();
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "3", weights: {} });

    // "New execution" from the console with the first execution's input.
    expect(await consoleReplayOutcome(plane, "console-replay", first?.input)).toBe("stale");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "3", weights: {} });
  });

  it("stops as stale when a human moves the alias during a bake, and leaves the human's choice alone", async ({
    plane,
  }) => {
    await canaryAt10Percent(plane);
    await moveAliasByHand(plane, { "2": 0.5 });

    await plane.runOut();

    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("stale");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.5 } });
    expect((await listAudit(plane.store)).find((a) => a.decision === "stale")?.reason).toMatch(
      /someone else changed it/,
    );
  });

  it("ends a replayed alarm event as stale once the alarm is OK again, and changes nothing", async ({
    plane,
  }) => {
    await canaryAt10Percent(plane);
    plane.account.cloudwatch.observeState("ServerCpuTooHigh", "OK");

    const delivery = await plane.deliver(alarm());

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "rollback", outcome: "stale" });
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.1 } });
  });

  it("fails in place when AWS keeps failing the 100% shift, and a redrive resumes that step and finishes", async ({
    plane,
  }) => {
    const finalShift = (input: Record<string, unknown>) => input.FunctionVersion === "2";
    // One attempt plus four retries: all five fail.
    plane.account.injectFault({
      service: "lambda",
      action: "UpdateAlias",
      error: "ServiceException",
      times: 5,
      when: finalShift,
    });
    await plane.deliver(push());
    await plane.deliver(cleanScan());
    await plane.runOut();
    const [execution] = plane.account.sfn.executions();
    expect(execution?.status).toBe("FAILED");
    expect(execution?.error).toBe("Throttled");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "1", weights: { "2": 0.1 } });
    expect((await readDeployment(plane.store, "api"))?.status).toBe("shifting");
    // Somebody is told where it stopped and how to go on.
    const told = (await listAudit(plane.store)).find((a) => a.decision === "failed-in-place");
    expect(told?.reason).toMatch(
      /^deploy of api failed with Throttled: .*the alias serves version 1 with 10% on version 2 and stays guarded by its alarms\. Redrive execution/,
    );
    expect(plane.account.sns.published().map((m) => m.Subject)).toContain(
      "Switchyard: deploy of api needs a human",
    );

    await plane.clients.sfn.send(new RedriveExecutionCommand({ executionArn: String(execution?.arn) }));
    await plane.runOut();

    expect(execution?.status).toBe("SUCCEEDED");
    expect(plane.aliases()["api-handler:live"]).toEqual({ version: "2", weights: {} });
    const publishes = plane.account.callsOf({ action: "PublishVersion" });
    expect(publishes).toHaveLength(1);
  });
});
