import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { decideApproval } from "../packages/core/src/cost/approval.ts";
import { readResponse } from "../packages/core/src/cost/record.ts";
import { writeControl } from "../packages/core/src/store/state.ts";
import {
  type AlertEvent,
  ANOMALY,
  alert,
  costAudit,
  costConfig,
  costExecutions,
  deliverSns,
  grown,
  it,
  reserveConcurrency,
  resolved,
  type SnsEvent,
  snsAlert,
  tierActions,
  webhookServer,
} from "./support/cost.ts";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:switchyard-notifications";

/** Lets the approval wait (a human's) run out on the virtual clock, then everything else. */
async function approvalTimesOut(p: ControlPlane): Promise<void> {
  await p.settle();
  p.account.clock.advance({ includeHumanWaits: true });
  await p.settle();
}

const statesOf = (p: ControlPlane) =>
  costExecutions(p).map((e) =>
    e.history
      .filter((h) => h.type.endsWith("StateEntered"))
      .map((h) => h.stateName)
      .join(">"),
  );

describe("cost responses on the simulated account", () => {
  it("records a below-threshold anomaly as a no-op, naming the rule that decided, and starts nothing", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();

    await p.deliver(
      alert((e) => {
        e.detail.impact.totalImpact = 50;
      }),
    );

    const audit = await costAudit(p);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      decision: "no-action",
      subject: ANOMALY,
      details: { rule: "lambda-spend" },
    });
    expect(audit[0]?.reason).toMatch(/below its mildest tier/);
    expect(costExecutions(p)).toEqual([]);
    expect(p.account.sns.published()).toEqual([]);
  });

  it("records an anomaly no rule selects as a no-op", async ({ startCostPlane }) => {
    const p = await startCostPlane();

    await p.deliver(
      alert((e) => {
        e.detail.dimensionValue = "Amazon Simple Storage Service";
        e.detail.rootCauses = [{ service: "Amazon Simple Storage Service", region: "us-east-1" }];
      }),
    );

    expect((await costAudit(p)).map((a) => a.decision)).toEqual(["no-action"]);
    expect(costExecutions(p)).toEqual([]);
  });

  it("notifies a notice-tier anomaly delivered by SNS on the topic and the webhook, with the console link and root causes", async ({
    startCostPlane,
  }) => {
    const hook = await webhookServer();
    try {
      const p = await startCostPlane(costConfig(undefined, hook.url));

      const out = await deliverSns(p, snsAlert());
      await p.runOut();

      expect(out.result).toMatchObject({ reaction: "cost", outcome: "started" });
      const [message] = p.account.sns.published(TOPIC);
      const body = JSON.parse(String(message?.Message)) as Record<string, unknown>;
      expect(body).toMatchObject({
        anomalyId: "6de0dd1d-feb4-488a-a55d-ff130a7a285a",
        rule: "cloudtrail",
        tier: "notice",
        console: "https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/",
        rootCauses: [{ service: "AWS CloudTrail", region: "eu-west-1", usageType: "EU-InsightsEvents" }],
      });
      expect(hook.bodies).toHaveLength(1);
      expect(String(hook.bodies[0]?.text)).toContain("EU-InsightsEvents");
      expect(String(hook.bodies[0]?.text)).toContain(
        "Console: https://console.aws.amazon.com/cost-management",
      );
    } finally {
      await hook.close();
    }
  });

  it("caps a Lambda function at the act tier, recording its previous concurrency, and leaves a production-tagged one alone", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await reserveConcurrency(p, "batch-worker", 50);

    await p.deliver(alert());

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect(p.account.lambda.reservedConcurrency("billing-api")).toBeUndefined();
    const record = await readResponse(p.store, ANOMALY);
    expect(record?.applied["cap-lambda-concurrency:batch-worker"]).toMatchObject({
      status: "applied",
      previous: 50,
      set: 5,
    });
    expect(record?.applied["cap-lambda-concurrency:billing-api"]?.status).toBe("protected");
    expect(
      p.account.callsOf({ action: "PutFunctionConcurrency", principal: "switchyard-cost-steps" }),
    ).toHaveLength(1);
  });

  it("reverts the cap when the anomaly is resolved (AWS re-sends it with feedback)", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await reserveConcurrency(p, "batch-worker", 50);
    await p.deliver(alert());

    await p.deliver(resolved("0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0001"));

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(50);
    expect(statesOf(p)).toEqual(["Plan>NeedsApproval?>Apply>Watch>Signal?>Revert>Reverts?>Reverted"]);
    expect((await readResponse(p.store, ANOMALY))?.status).toBe("ended");
  });

  it("reverts the cap when the TTL runs out without a resolution", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    await p.deliver(alert());

    await p.runOut();

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBeUndefined();
    expect(costExecutions(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
    expect((await costAudit(p)).find((a) => a.decision === "reverted")?.reason).toMatch(
      /TTL of 86400 s ran out/,
    );
  });

  it("skips the revert and records why when a human changed the capped function in the meantime", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await p.deliver(alert());
    await reserveConcurrency(p, "batch-worker", 20);

    await p.runOut();

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(20);
    const skipped = (await costAudit(p)).find((a) => a.decision === "revert-skipped");
    expect(skipped?.reason).toMatch(
      /batch-worker is at 20, not the 5 Switchyard set: someone changed it since/,
    );
  });

  it("waits for approval at the critical tier, then disables the tagged non-production schedule and never the protected one", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0002"));
    expect(p.account.events.ruleState("nightly-report")).toBe("ENABLED");
    const asked = p.account.sns
      .published(TOPIC)
      .map((m) => JSON.parse(m.Message) as { approval?: { command: string } });
    expect(asked.find((m) => m.approval)?.approval?.command).toBe(`switchyard approve ${ANOMALY}`);

    await decideApproval(p.context, ANOMALY, "approve", "alice");
    await p.settle();

    expect(p.account.events.ruleState("nightly-report")).toBe("DISABLED");
    expect(p.account.events.ruleState("prod-backup")).toBe("ENABLED");
    expect((await readResponse(p.store, ANOMALY))?.applied["disable-schedules:prod-backup"]?.status).toBe(
      "protected",
    );
  });

  it("does nothing when the approval times out", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0003"));

    await approvalTimesOut(p);
    await p.runOut();

    expect(p.account.events.ruleState("nightly-report")).toBe("ENABLED");
    expect(p.account.calls.filter((c) => c.action === "DisableRule")).toEqual([]);
    expect((await costAudit(p)).find((a) => a.decision === "no-action")?.reason).toMatch(
      /no approval within 3600 s: nothing done/,
    );
  });

  it("does nothing when the approval is denied", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0004"));

    await decideApproval(p.context, ANOMALY, "deny", "bob");
    await p.settle();

    expect(p.account.events.ruleState("nightly-report")).toBe("ENABLED");
    expect((await costAudit(p)).map((a) => a.decision)).toContain("denied");
  });

  it("escalates the one response when AWS re-sends the anomaly with a larger impact", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await p.deliver(grown(150, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0005"));
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBeUndefined();

    await p.deliver(grown(2000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0006"));

    expect(costExecutions(p)).toHaveLength(1);
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect((await readResponse(p.store, ANOMALY))?.tier).toBe("act");
    expect((await costAudit(p)).map((a) => a.decision)).toContain("escalated");
  });

  it("holds a resolution that arrives while an approval waits, and reverts once the approval is answered", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await p.deliver(grown(6000, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0008"));
    await p.deliver(
      alert((e) => {
        e.id = "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e000a";
        e.detail.feedback = "YES";
      }),
    );
    expect((await readResponse(p.store, ANOMALY))?.pending).toMatchObject({ signal: "resolved" });

    await decideApproval(p.context, ANOMALY, "approve", "alice");
    await p.settle();

    expect(p.account.events.ruleState("nightly-report")).toBe("ENABLED");
    expect(
      p.account.calls
        .filter((c) => c.action === "DisableRule" || c.action === "EnableRule")
        .map((c) => c.action),
    ).toEqual(["DisableRule", "EnableRule"]);
    expect(costExecutions(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
  });

  it("keeps one response for a duplicate delivery and for a repeat that stays in the same tier", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    await p.deliver(alert());

    await p.deliver(alert());
    await p.deliver(grown(1100, "0b9d6f0e-2d35-4c55-9d4f-5f2c7a1e0007"));

    expect(costExecutions(p)).toHaveLength(1);
    expect(
      p.account.callsOf({ action: "PutFunctionConcurrency", principal: "switchyard-cost-steps" }),
    ).toHaveLength(1);
    expect((await costAudit(p)).filter((a) => a.decision === "updated")).toHaveLength(2);
  });

  it("records the plan in dry-run mode and changes nothing", async ({ startCostPlane }) => {
    const p = await startCostPlane(
      costConfig((cost) => {
        cost.dryRun = true;
      }),
    );

    await p.deliver(alert());
    await p.runOut();

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBeUndefined();
    expect(p.account.calls.filter((c) => c.action === "PutFunctionConcurrency")).toEqual([]);
    expect((await costAudit(p)).find((a) => a.decision === "dry-run")?.reason).toBe(
      "would cap batch-worker at 5 concurrent executions (now unreserved)",
    );
  });

  it("stops at the action limit and records what it did not do", async ({ startCostPlane }) => {
    const config = costConfig((cost) => {
      const act = tierActions(cost, 0, 1);
      act[1] = { ...act[1], functions: ["batch-worker", "etl-worker"] };
    });
    // One action per window: the first function takes it.
    config.safety.actionLimit.max = 1;
    const p = await startCostPlane(config);
    p.account.lambda.tagFunction("etl-worker", { environment: "dev" });

    await p.deliver(alert());

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect(p.account.lambda.reservedConcurrency("etl-worker")).toBeUndefined();
    expect((await costAudit(p)).find((a) => a.decision === "limited")?.reason).toMatch(
      /action limit reached/,
    );
  });

  it("does nothing while automation is paused, and says so", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    await writeControl(p.store, { paused: true, reason: "incident 4711", by: "test" });

    await p.deliver(alert());

    expect(costExecutions(p)).toEqual([]);
    expect((await costAudit(p))[0]?.reason).toMatch(/automation paused \(incident 4711\)/);
  });
});

describe("malformed anomaly alerts", () => {
  const cases: [string, () => AlertEvent | SnsEvent, RegExp][] = [
    [
      "an EventBridge alert without impact",
      () =>
        alert((e) => {
          delete (e.detail as Record<string, unknown>).impact;
        }),
      /detail\.impact: required field is missing/,
    ],
    [
      "an EventBridge alert with a string impact",
      () =>
        alert((e) => {
          e.detail.impact.totalImpact = "1001";
        }),
      /detail\.impact\.totalImpact: expected number, received string/,
    ],
    [
      "an EventBridge alert with a negative impact",
      () =>
        alert((e) => {
          e.detail.impact.maxImpact = -5;
        }),
      /detail\.impact\.maxImpact: maxImpact must not be negative/,
    ],
    [
      "an EventBridge alert whose impact was NaN (JSON carries it as null)",
      () =>
        alert((e) => {
          e.detail.impact.maxImpact = Number.NaN;
        }),
      /detail\.impact\.maxImpact: expected number, received null/,
    ],
    [
      "an SNS alert without impact",
      () =>
        snsAlert((m) => {
          delete m.impact;
        }),
      /Records\[0\]\.Sns\.Message\.impact: /,
    ],
    [
      "an SNS alert whose message is not JSON",
      () => {
        return snsAlert(() => "Cost anomaly detected!");
      },
      /Records\[0\]\.Sns\.Message: not JSON/,
    ],
    [
      "an SNS alert whose message is some other JSON",
      () => {
        return snsAlert(() => JSON.stringify(["not", "an", "alert"]));
      },
      /expected a Cost Anomaly Detection alert object/,
    ],
  ];

  it.for(cases)(
    "rejects %s with a reason, dead-letters it and takes no action",
    async ([_, event, reason], { startCostPlane }) => {
      const p = await startCostPlane();
      const raw = event();

      const result =
        "Records" in raw ? (await deliverSns(p, raw)).result : (await p.deliver(raw)).outcomes[0]?.result;

      expect(result).toMatchObject({ outcome: "rejected" });
      expect(String((result as { reason: string }).reason)).toMatch(reason);
      expect(p.account.sqs.messages(p.dlqName)).toHaveLength(1);
      expect(costExecutions(p)).toEqual([]);
      expect(await costAudit(p)).toEqual([]);
    },
  );

  it("rejects an event of an unknown format handed to the intake function", async ({ startCostPlane }) => {
    const p = await startCostPlane();

    const out = await deliverSns(p, { message: "anomaly", impact: 10 });

    expect(out.result).toMatchObject({ outcome: "rejected" });
    expect(costExecutions(p)).toEqual([]);
  });
});

describe("cost responses under injected AWS failures", () => {
  it("retries a throttled cap and applies it once", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    p.account.injectFault({
      service: "lambda",
      action: "PutFunctionConcurrency",
      error: "TooManyRequestsException",
      times: 2,
    });

    await p.deliver(alert());
    await p.settle();
    await p.runOut();

    expect(
      (await costAudit(p)).some(
        (a) => a.decision === "applied" && a.reason.startsWith("capped batch-worker"),
      ),
    ).toBe(true);
    expect(costExecutions(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
  });

  it("fails safe when the cap keeps failing: records what was applied, then still reverts it", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane(
      costConfig((cost) => {
        tierActions(cost, 0, 1).splice(
          0,
          2,
          { type: "notify" },
          { type: "cap-lambda-concurrency", functions: ["batch-worker"], concurrency: 5 },
          { type: "cap-lambda-concurrency", functions: ["etl-worker"], concurrency: 2 },
        );
      }),
    );
    p.account.lambda.tagFunction("etl-worker", { environment: "dev" });
    p.account.injectFault({
      service: "lambda",
      action: "PutFunctionConcurrency",
      error: "ServiceException",
      times: 10,
      when: (input) => input.FunctionName === "etl-worker",
    });

    await p.deliver(alert());
    await p.settle();
    await p.runOut();

    const failed = (await costAudit(p)).find((a) => a.decision === "failed");
    expect(failed?.reason).toMatch(/applied so far, reverted later: .*cap-lambda-concurrency batch-worker/);
    expect(statesOf(p)[0]).toContain("Apply>ApplyFailed>Watch>Revert>Reverts?>Reverted");
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBeUndefined();
    expect(p.account.lambda.reservedConcurrency("etl-worker")).toBeUndefined();
  });

  it("ends as RevertIncomplete, with a record, when the revert keeps failing", async ({ startCostPlane }) => {
    const p = await startCostPlane();
    await p.deliver(alert());
    p.account.injectFault({
      service: "lambda",
      action: "DeleteFunctionConcurrency",
      error: "ServiceException",
      times: 10,
    });

    await p.runOut();

    expect(costExecutions(p).map((e) => e.error)).toEqual(["RevertIncomplete"]);
    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect((await costAudit(p)).find((a) => a.decision === "failed")?.reason).toMatch(
      /revert failed after retries/,
    );
  });

  it("still caps when the notification cannot be published, and records that it was not", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();
    p.account.injectFault({ service: "sns", action: "Publish", error: "InternalErrorException", times: 1 });

    await p.deliver(alert());

    expect(p.account.lambda.reservedConcurrency("batch-worker")).toBe(5);
    expect((await readResponse(p.store, ANOMALY))?.applied["notify:act"]?.note).toMatch(/SNS failed/);
  });
});
