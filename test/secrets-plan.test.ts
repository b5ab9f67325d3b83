import { describe, expect, it } from "vitest";
import podinfo from "../examples/podinfo/switchyard.config.ts";
import { planStack } from "../stacks/plan.ts";

describe("the stack plan of the Podinfo example", () => {
  const plan = planStack(podinfo, { stage: "prod" });

  it("rotates the API secret every 7 days with Podinfo's own rotation function", () => {
    expect(plan.secretRotations).toEqual([
      {
        secret: "podinfo-api",
        secretId: "podinfo/api",
        rotationFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:podinfo-rotate-api-secret",
        scheduleExpression: "rate(7 days)",
      },
    ]);
  });

  it("alarms to the SNS topic when the rotation function fails", () => {
    expect(plan.alarms.find((a) => a.dimensions.FunctionName === "podinfo-rotate-api-secret")).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      threshold: 1,
      actions: ["arn:aws:sns:us-east-1:123456789012:podinfo-rotation-alerts"],
    });
  });

  it("scopes the rotation and leak functions' Secrets Manager rights to the configured secrets", () => {
    const leakSteps = plan.functions.find((f) => f.name === "secret-leak-steps");
    expect(
      leakSteps?.permissions.find((p) => p.actions.includes("secretsmanager:RotateSecret"))?.resources,
    ).toEqual([
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:podinfo/api-??????",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:switchyard/github-token-??????",
    ]);
    const rotate = plan.functions.find((f) => f.name === "rotate");
    expect(
      rotate?.permissions.find((p) => p.actions.includes("secretsmanager:GetRandomPassword"))?.resources,
    ).toEqual(["*"]);
  });
});
