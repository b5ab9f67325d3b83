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
        invokePermission: {
          action: "lambda:InvokeFunction",
          principal: "secretsmanager.amazonaws.com",
          sourceArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:podinfo/api-??????",
        },
      },
    ]);
  });

  it("runs the stuck-rotation sweep on an hourly schedule instead of an event pattern", () => {
    expect(plan.rules.find((r) => r.target.function === "secrets-stuck")).toMatchObject({
      name: "podinfo-prod-secrets-stuck-check",
      scheduleExpression: "rate(1 hour)",
      invokePermission: { principal: "events.amazonaws.com" },
    });
    expect(plan.rules.filter((r) => r.scheduleExpression)).toHaveLength(1);
  });

  it("alarms to the SNS topic when the rotation function fails", () => {
    expect(plan.alarms.find((a) => a.dimensions.FunctionName === "podinfo-rotate-api-secret")).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      threshold: 1,
      actions: ["arn:aws:sns:us-east-1:123456789012:podinfo-rotation-alerts"],
    });
  });

  it("gives the rotation and leak functions the rotation actions on the rotated secrets only", () => {
    const leakSteps = plan.functions.find((f) => f.name === "secret-leak-steps");
    expect(
      leakSteps?.permissions.find((p) => p.actions.includes("secretsmanager:RotateSecret"))?.resources,
    ).toEqual(["arn:aws:secretsmanager:us-east-1:123456789012:secret:podinfo/api-??????"]);
    const rotate = plan.functions.find((f) => f.name === "rotate");
    expect(
      rotate?.permissions.find((p) => p.actions.includes("secretsmanager:GetRandomPassword"))?.resources,
    ).toEqual(["*"]);
  });

  it("lets them only read the GitHub token and master secrets", () => {
    const withDatabase = planStack(
      {
        ...podinfo,
        secrets: [
          ...(podinfo.secrets ?? []),
          {
            name: "db",
            secretId: "prod/db/app",
            rotator: "postgres-alternating-users",
            schedule: "rate(7 days)",
            options: { masterSecret: "prod/db/master", ssl: true },
          },
        ],
      } as typeof podinfo,
      { stage: "prod" },
    );
    const credentials = [
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/master-??????",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:switchyard/github-token-??????",
    ];
    for (const name of ["rotate", "secret-leak-steps", "secrets-stuck"] as const) {
      const grants = withDatabase.functions.find((f) => f.name === name)?.permissions ?? [];
      const onCredentials = grants.filter((p) => p.resources.some((r) => credentials.includes(r)));
      expect(onCredentials, name).toEqual([
        { actions: ["secretsmanager:GetSecretValue"], resources: credentials },
      ]);
    }
  });
});
