import { describe, expect, it } from "vitest";
import ignition from "../examples/ignition-cost/switchyard.config.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { issuesOf } from "../packages/core/src/config/issues.ts";
import { type CostAnomaly, fromSnsLambdaEvent } from "../packages/core/src/cost/anomaly.ts";
import { evaluate } from "../packages/core/src/cost/policy.ts";
import { parseEvent } from "../packages/core/src/events/parse.ts";
import { planStack } from "../stacks/plan.ts";
import { alert, snsAlert } from "./support/cost.ts";

const tier = (actions: unknown[]) => ({ name: "act", minImpact: 100, actions });
const withActions = (actions: unknown[]) => ({
  cost: { rules: [{ name: "r", match: {}, tiers: [tier(actions)] }] },
});

describe("the cost config", () => {
  it("rejects an unknown action type, naming the field and the known types", () => {
    const issues = issuesOf(withActions([{ type: "stop-everything" }]));

    expect(issues).toEqual([
      'cost.rules[0].tiers[0].actions[0].type: unknown action type "stop-everything"; use one of: notify, cap-lambda-concurrency, disable-schedules, stop-ec2-instances, stop-rds-instances, scale-ecs-services-to-zero',
    ]);
  });

  it("rejects a stop action that selects by no tag, saying how to select", () => {
    expect(issuesOf(withActions([{ type: "stop-ec2-instances", select: {} }]))).toEqual([
      'cost.rules[0].tiers[0].actions[0].select: select by at least one tag, e.g. { "environment": ["dev", "staging"] }',
    ]);
  });

  it("rejects an ECS stop without the clusters to look in", () => {
    expect(
      issuesOf(withActions([{ type: "scale-ecs-services-to-zero", select: { environment: ["dev"] } }])),
    ).toEqual([expect.stringMatching(/^cost\.rules\[0\]\.tiers\[0\]\.actions\[0\]\.clusters: /)]);
  });

  it("suggests the action type meant for a near miss", () => {
    expect(issuesOf(withActions([{ type: "notfy" }]))).toEqual([
      'cost.rules[0].tiers[0].actions[0].type: unknown action type "notfy"; did you mean "notify"?',
    ]);
  });

  it("names the field of an action's own settings that is wrong", () => {
    const issues = issuesOf(
      withActions([{ type: "cap-lambda-concurrency", functions: ["batch-worker"], concurrency: -1 }]),
    );

    expect(issues).toEqual([
      "cost.rules[0].tiers[0].actions[0].concurrency: must be 0 or more (0 stops the function being invoked)",
    ]);
  });

  it("defaults the protected tags, the approval timeout and the TTL", () => {
    const config = parseConfig({});

    expect(config.cost).toMatchObject({
      rules: [],
      protectedTags: [
        { key: "environment", values: ["production", "prod"] },
        { key: "switchyard:protected" },
      ],
      approvalTimeout: 3600,
      ttl: 86_400,
      dryRun: false,
    });
  });

  it("reads durations and rejects a zero TTL", () => {
    expect(issuesOf({ cost: { ttl: "0s" } })).toEqual(['cost.ttl: must be longer than zero, e.g. "1h"']);
  });
});

describe("anomaly intake", () => {
  it("normalises AWS's EventBridge sample into the typed anomaly", () => {
    const parsed = parseEvent(alert());

    expect(parsed.ok && parsed.event.kind === "cost.anomaly" ? parsed.event.anomaly : parsed).toEqual({
      anomalyId: "12345678-abcd-ef12-3456-987654321a12",
      via: "eventbridge",
      deliveryId: "7f4ba2c8-3b1d-4c3e-9d5e-0a6b1c2d3e4f",
      accountId: "123456789012",
      monitorArn: "arn:aws:ce::123456789012:anomalymonitor/abcdef12-1234-4ea0-84cc-918a97d736ef",
      monitorName: "aws-services-monitor",
      dimensionValue: "AWS Lambda",
      startDate: "2021-05-25T00:00:00Z",
      endDate: "2021-05-25T00:00:00Z",
      score: 0.47,
      impact: {
        maxImpact: 151,
        totalImpact: 1001,
        totalImpactPercentage: 333.67,
        totalActualSpend: 1301,
        totalExpectedSpend: 300,
      },
      rootCauses: [
        {
          service: "AWS Lambda",
          region: "us-east-1",
          linkedAccount: "123456789012",
          linkedAccountName: "Example Account",
          usageType: "USE1-Lambda-GB-Second",
        },
      ],
      detailsLink:
        "https://console.aws.amazon.com/cost-management/home#/anomaly-detection/monitors/abcdef12-1234-4ea0-84cc-918a97d736ef/anomalies/12345678-abcd-ef12-3456-987654321a12",
    });
  });

  it("normalises the SNS-delivered message, reading dimensionalValue and the subscription", () => {
    const [record] = fromSnsLambdaEvent(snsAlert());

    expect(record).toMatchObject({
      ok: true,
      messageId: "2cdcea49-c94c-5ad6-85e7-b6e6afb934bf",
      anomaly: {
        anomalyId: "6de0dd1d-feb4-488a-a55d-ff130a7a285a",
        via: "sns",
        dimensionValue: "AWS CloudTrail",
        subscription: "Immediate Subscription",
        impact: { totalImpact: 11.82, totalImpactPercentage: 4377.78 },
      },
    });
  });

  it("accepts the fields AWS may omit or null: feedback, rootCauses, anomalyEndDate, the impact percentage", () => {
    const parsed = parseEvent(
      alert((e) => {
        e.detail.feedback = null;
        e.detail.rootCauses = null;
        e.detail.anomalyEndDate = null;
        delete e.detail.impact.totalImpactPercentage;
        delete e.detail.impact.totalImpact;
      }),
    );

    const anomaly = parsed.ok && parsed.event.kind === "cost.anomaly" ? parsed.event.anomaly : undefined;
    expect(anomaly?.rootCauses).toEqual([]);
    expect(anomaly?.endDate).toBeUndefined();
    expect(anomaly?.feedback).toBeUndefined();
    // Without a total, the largest daily impact is the figure there is.
    expect(anomaly?.impact).toEqual({
      maxImpact: 151,
      totalActualSpend: 1301,
      totalExpectedSpend: 300,
      totalImpact: 151,
    });
  });

  it("rejects an SNS event whose records are not SNS's", () => {
    expect(fromSnsLambdaEvent({ Records: [{ EventSource: "aws:sqs", body: "{}" }] })).toEqual([
      { ok: false, reason: expect.stringMatching(/^Records\[0\]\.EventSource: /) },
    ]);
  });
});

describe("the cost policy", () => {
  const anomaly = (change: Partial<CostAnomaly> = {}): CostAnomaly => ({
    anomalyId: "a-1",
    via: "eventbridge",
    deliveryId: "d-1",
    accountId: "111111111111",
    monitorArn: "arn:aws:ce::111111111111:anomalymonitor/m-1",
    dimensionValue: "Amazon Relational Database Service",
    impact: { maxImpact: 400, totalImpact: 400, totalImpactPercentage: 80 },
    rootCauses: [
      {
        service: "Amazon Relational Database Service",
        region: "eu-west-1",
        linkedAccount: "222222222222",
        usageType: "EU-InstanceUsage:db.r6g.2xl",
      },
    ],
    ...change,
  });
  const cost = (
    match: Record<string, unknown>,
    tiers: unknown[] = [{ name: "act", minImpact: 100, minPercent: 50, actions: [{ type: "notify" }] }],
  ) => parseConfig({ cost: { rules: [{ name: "rds", match, tiers }] } }).cost;

  it.each([
    ["service", { services: ["Amazon Relational Database Service"] }],
    ["linked account", { accounts: ["222222222222"] }],
    ["region", { regions: ["eu-west-1"] }],
    ["usage type prefix", { usageTypes: ["EU-InstanceUsage"] }],
    ["monitor", { monitors: ["arn:aws:ce::111111111111:anomalymonitor/m-1"] }],
  ])("selects an anomaly by %s", (_, match) => {
    expect(evaluate(cost(match), anomaly())).toMatchObject({ kind: "tier", rule: "rds" });
  });

  it.each([
    ["service", { services: ["Amazon ElastiCache"] }],
    ["linked account", { accounts: ["333333333333"] }],
    ["region", { regions: ["us-east-1"] }],
    ["usage type prefix", { usageTypes: ["USE1-"] }],
    ["monitor", { monitors: ["arn:aws:ce::111111111111:anomalymonitor/other"] }],
  ])("passes over an anomaly of another %s", (_, match) => {
    expect(evaluate(cost(match), anomaly()).kind).toBe("no-rule");
  });

  it("selects a cost-allocation-tag monitor's anomaly by its tag", () => {
    expect(
      evaluate(
        cost({ tags: { team: "ignition" } }),
        anomaly({ dimensionValue: "team:ignition", rootCauses: [] }),
      ).kind,
    ).toBe("tier");
  });

  it("grades into the most severe tier whose impact and percentage thresholds are both reached", () => {
    const tiers = [
      { name: "notice", minImpact: 100, actions: [{ type: "notify" }] },
      { name: "act", minImpact: 300, minPercent: 50, actions: [{ type: "notify" }] },
      { name: "critical", minImpact: 300, minPercent: 100, actions: [{ type: "notify" }] },
    ];

    expect(evaluate(cost({}, tiers), anomaly())).toMatchObject({
      kind: "tier",
      tier: { name: "act" },
      rank: 1,
    });
  });

  it("counts new spend (no percentage from AWS) as reaching every percentage threshold", () => {
    const verdict = evaluate(cost({}), anomaly({ impact: { maxImpact: 400, totalImpact: 400 } }));

    expect(verdict).toMatchObject({ kind: "tier", tier: { name: "act" } });
  });

  it("says below threshold, naming the rule, when no tier is reached", () => {
    const verdict = evaluate(
      cost({}),
      anomaly({ impact: { maxImpact: 50, totalImpact: 50, totalImpactPercentage: 5 } }),
    );

    expect(verdict).toEqual({
      kind: "below-threshold",
      rule: "rds",
      reason: "rule rds: impact $50.00 (5%) is below its mildest tier (act: $100.00 and 50%); no action",
    });
  });
});

describe("the stack plan of a cost policy", () => {
  const costSteps = () =>
    planStack(ignition, { stage: "dev" }).functions.find((f) => f.name === "cost-steps");

  it("scopes the Lambda concurrency actions to the functions the policy names", () => {
    const statement = costSteps()?.permissions.find((p) =>
      p.actions.includes("lambda:PutFunctionConcurrency"),
    );

    expect(statement?.resources).toEqual([
      "arn:aws:lambda:us-east-1:123456789012:function:ignition-dispatcher",
    ]);
  });

  it("scopes the schedule actions to the rules the policy names", () => {
    const statement = costSteps()?.permissions.find((p) => p.actions.includes("events:DisableRule"));

    expect(statement?.resources).toEqual([
      "arn:aws:events:us-east-1:123456789012:rule/ignition-etl-nightly",
      "arn:aws:events:us-east-1:123456789012:rule/ignition-prod-backup",
    ]);
  });

  it("grants no cost action at all when the policy names no resource", () => {
    const plan = planStack({}, { stage: "dev" }).functions.find((f) => f.name === "cost-steps");

    expect(plan?.permissions.flatMap((p) => p.actions).filter((a) => /Concurrency|Rule$/.test(a))).toEqual(
      [],
    );
  });
});
