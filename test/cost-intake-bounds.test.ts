import { describe, expect } from "vitest";
import {
  type AlertEvent,
  alert,
  costExecutions,
  deliverSns,
  it,
  type SnsEvent,
  snsAlert,
} from "./support/cost.ts";

/**
 * Anomaly numbers the state table cannot store exactly (issue #11, found by the function fuzz):
 * lib-dynamodb refuses to marshal a number beyond Number.MAX_SAFE_INTEGER, so such an alert used
 * to make cost-intake throw on every attempt. It is rejected with a reason naming the field now,
 * dead-lettered, and nothing else is written; a number at the bound is accepted.
 */

describe("cost-intake given anomaly numbers the state table cannot store exactly", () => {
  const cases: [string, () => AlertEvent | SnsEvent, RegExp][] = [
    [
      "an EventBridge alert whose maxImpact is 9.99e125 (DynamoDB's largest magnitude)",
      () =>
        alert((e) => {
          e.detail.impact.maxImpact = 9.99e125;
        }),
      /detail\.impact\.maxImpact: must be a number DynamoDB can store exactly/,
    ],
    [
      "an EventBridge alert whose totalImpact is 2^53",
      () =>
        alert((e) => {
          e.detail.impact.totalImpact = 2 ** 53;
        }),
      /detail\.impact\.totalImpact: must be a number DynamoDB can store exactly/,
    ],
    [
      "an EventBridge alert whose anomaly score is -2^53",
      () =>
        alert((e) => {
          e.detail.anomalyScore = { currentScore: -(2 ** 53), maxScore: 1 };
        }),
      /detail\.anomalyScore\.currentScore: must be a number DynamoDB can store exactly/,
    ],
    [
      "an SNS alert whose totalActualSpend is 9.99e125",
      () =>
        snsAlert((m) => {
          (m.impact as Record<string, unknown>).totalActualSpend = 9.99e125;
        }),
      /Records\[0\]\.Sns\.Message\.impact\.totalActualSpend: must be a number DynamoDB can store exactly/,
    ],
  ];

  it.for(cases)(
    "rejects %s with a reason, dead-letters it and writes nothing else",
    async ([_, event, reason], { startCostPlane }) => {
      const p = await startCostPlane();
      const raw = event();

      const out =
        "Records" in raw
          ? await deliverSns(p, raw)
          : ((await p.deliver(raw)).outcomes[0] ?? { error: "not delivered", result: undefined });

      expect(out.error).toBeUndefined();
      const result = out.result;
      expect(result).toMatchObject({ outcome: "rejected" });
      expect(String((result as { reason: string }).reason)).toMatch(reason);
      expect(p.account.sqs.messages(p.dlqName)).toHaveLength(1);
      expect(costExecutions(p)).toEqual([]);
    },
  );

  it("accepts an impact of Number.MAX_SAFE_INTEGER, the largest it stores exactly", async ({
    startCostPlane,
  }) => {
    const p = await startCostPlane();

    const out = await p.deliver(
      alert((e) => {
        e.detail.impact.maxImpact = Number.MAX_SAFE_INTEGER;
        e.detail.impact.totalImpact = Number.MAX_SAFE_INTEGER;
      }),
    );

    expect(out.outcomes[0]?.result).not.toMatchObject({ outcome: "rejected" });
    expect(p.account.sqs.messages(p.dlqName)).toEqual([]);
  });
});
