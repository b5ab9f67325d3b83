import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "./account.ts";
import { accessDeniedMessage, conditionsHold, evaluate, type PolicyStatement, wildcardMatch } from "./iam.ts";

const allow = (actions: string[], resources: string[], conditions?: PolicyStatement["conditions"]) =>
  ({ effect: "Allow", actions, resources, ...(conditions ? { conditions } : {}) }) as const;

describe("IAM wildcard matching (IAM JSON policy elements: Resource, Action)", () => {
  it("matches * across any run of characters, colons and slashes included", () => {
    expect(
      wildcardMatch(
        "arn:aws:lambda:us-east-1:1:function:api*",
        "arn:aws:lambda:us-east-1:1:function:api:live",
      ),
    ).toBe(true);
    expect(
      wildcardMatch("arn:aws:dynamodb:*:1:table/t/index/*", "arn:aws:dynamodb:eu-west-1:1:table/t/index/a/b"),
    ).toBe(true);
  });

  it("matches ? to exactly one character, as the six characters Secrets Manager appends", () => {
    const pattern = "arn:aws:secretsmanager:us-east-1:1:secret:prod/api-??????";
    expect(wildcardMatch(pattern, "arn:aws:secretsmanager:us-east-1:1:secret:prod/api-AbCdEf")).toBe(true);
    expect(wildcardMatch(pattern, "arn:aws:secretsmanager:us-east-1:1:secret:prod/api-AbCdE")).toBe(false);
    expect(wildcardMatch(pattern, "arn:aws:secretsmanager:us-east-1:1:secret:prod/api-extra-AbCdEf")).toBe(
      false,
    );
  });

  it("treats every other character literally", () => {
    expect(wildcardMatch("arn:aws:sqs:us-east-1:1:q.fifo", "arn:aws:sqs:us-east-1:1:qxfifo")).toBe(false);
    expect(wildcardMatch("a+b", "a+b")).toBe(true);
  });

  it("matches resources case-sensitively and actions case-insensitively", () => {
    const statements = [allow(["LAMBDA:invokefunction"], ["arn:aws:lambda:us-east-1:1:function:Api"])];
    expect(
      evaluate(statements, {
        action: "lambda:InvokeFunction",
        resource: "arn:aws:lambda:us-east-1:1:function:Api",
      }),
    ).toBe("Allow");
    expect(
      evaluate(statements, {
        action: "lambda:InvokeFunction",
        resource: "arn:aws:lambda:us-east-1:1:function:api",
      }),
    ).toBe("ImplicitDeny");
  });
});

describe("IAM policy evaluation logic", () => {
  const fn = "arn:aws:lambda:us-east-1:123456789012:function:api";

  it("denies by default what no statement allows", () => {
    expect(evaluate([allow(["lambda:GetAlias"], [fn])], { action: "lambda:UpdateAlias", resource: fn })).toBe(
      "ImplicitDeny",
    );
    expect(evaluate([], { action: "lambda:GetAlias", resource: fn })).toBe("ImplicitDeny");
  });

  it("allows an action on a resource a statement names, or on * for any resource", () => {
    expect(evaluate([allow(["lambda:GetAlias"], [fn])], { action: "lambda:GetAlias", resource: fn })).toBe(
      "Allow",
    );
    expect(
      evaluate([allow(["ec2:DescribeInstances"], ["*"])], { action: "ec2:DescribeInstances", resource: "*" }),
    ).toBe("Allow");
  });

  it("does not let a scoped statement allow an action that supports no resource-level permissions", () => {
    expect(
      evaluate([allow(["ec2:DescribeInstances"], [fn])], { action: "ec2:DescribeInstances", resource: "*" }),
    ).toBe("ImplicitDeny");
  });

  it("lets an explicit deny override every allow", () => {
    const statements: PolicyStatement[] = [
      allow(["lambda:*"], ["*"]),
      { effect: "Deny", actions: ["lambda:UpdateAlias"], resources: [`${fn}:*`] },
    ];
    expect(evaluate(statements, { action: "lambda:UpdateAlias", resource: `${fn}:live` })).toBe(
      "ExplicitDeny",
    );
    expect(evaluate(statements, { action: "lambda:GetAlias", resource: `${fn}:live` })).toBe("Allow");
  });

  it("decides again for a policy that grew in place, and for each request on its own", () => {
    const statements: PolicyStatement[] = [allow(["lambda:GetAlias"], [fn])];
    const update = { action: "lambda:UpdateAlias", resource: fn };
    const before = evaluate(statements, update);

    statements.push(allow(["lambda:UpdateAlias"], [fn]));

    expect(before).toBe("ImplicitDeny");
    expect(evaluate(statements, update)).toBe("Allow");
    expect(evaluate(statements, { action: "lambda:UpdateAlias", resource: `${fn}:other` })).toBe(
      "ImplicitDeny",
    );
  });
});

describe("IAM conditions", () => {
  const source = "arn:aws:secretsmanager:us-east-1:1:secret:prod/api-AbCdEf";

  it("holds ArnLike when the key matches any value, and fails when the key is absent", () => {
    const conditions = {
      ArnLike: { "aws:SourceArn": ["arn:aws:secretsmanager:us-east-1:1:secret:prod/api-??????"] },
    };
    expect(conditionsHold(conditions, { "aws:SourceArn": source })).toBe(true);
    expect(conditionsHold(conditions, { "aws:SourceArn": `${source}x` })).toBe(false);
    expect(conditionsHold(conditions, {})).toBe(false);
  });

  it("reads condition keys case-insensitively and lets IfExists pass an absent key", () => {
    expect(conditionsHold({ StringEquals: { "AWS:SourceAccount": "1" } }, { "aws:sourceaccount": "1" })).toBe(
      true,
    );
    expect(conditionsHold({ StringEqualsIfExists: { "aws:SourceAccount": "1" } }, {})).toBe(true);
    expect(
      conditionsHold({ StringEqualsIfExists: { "aws:SourceAccount": "1" } }, { "aws:SourceAccount": "2" }),
    ).toBe(false);
  });

  it("holds a negated operator only when no value matches, and for an absent key", () => {
    expect(conditionsHold({ StringNotLike: { "ecs:cluster": ["prod-*"] } }, { "ecs:cluster": "dev-1" })).toBe(
      true,
    );
    expect(
      conditionsHold({ StringNotLike: { "ecs:cluster": ["prod-*"] } }, { "ecs:cluster": "prod-1" }),
    ).toBe(false);
    expect(conditionsHold({ StringNotLike: { "ecs:cluster": ["prod-*"] } }, {})).toBe(true);
  });

  it("applies a statement only when its conditions hold", () => {
    const statements = [
      allow(["lambda:InvokeFunction"], ["*"], { ArnLike: { "aws:SourceArn": "arn:aws:events:*" } }),
    ];
    expect(
      evaluate(statements, {
        action: "lambda:InvokeFunction",
        resource: "f",
        context: { "aws:SourceArn": "arn:aws:events:x" },
      }),
    ).toBe("Allow");
    expect(evaluate(statements, { action: "lambda:InvokeFunction", resource: "f" })).toBe("ImplicitDeny");
  });

  it("refuses an operator it does not implement rather than guessing", () => {
    expect(() => conditionsHold({ NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } }, {})).toThrow(
      /does not implement the condition operator NumericLessThan/,
    );
  });
});

describe("the simulated account enforcing IAM", () => {
  const role = (statements: PolicyStatement[]) =>
    new Map([
      [
        "switchyard-rotate",
        { roleName: "switchyard-rotate-role", sessionName: "switchyard-rotate", statements },
      ],
    ]);

  it("denies a call its role does not allow with AccessDeniedException in AWS's message shape, and records it", async () => {
    const account = new SimulatedAccount();
    account.secrets.seedSecret("prod/api", "v1");
    account.enforce(role([]));
    const call = account.runAs({ principal: "switchyard-rotate" }, () =>
      account.call("secretsmanager", "GetSecretValue", { SecretId: "prod/api" }),
    );
    const arn = account.secrets.list()[0]?.ARN;
    await expect(call).rejects.toMatchObject({
      name: "AccessDeniedException",
      message:
        "User: arn:aws:sts::123456789012:assumed-role/switchyard-rotate-role/switchyard-rotate is not authorized " +
        `to perform: secretsmanager:GetSecretValue on resource: ${arn} because no identity-based policy allows ` +
        "the secretsmanager:GetSecretValue action",
    });
    expect(account.callsOf({ action: "GetSecretValue" })).toMatchObject([{ error: "AccessDeniedException" }]);
  });

  it("answers a call its role allows on the resource's ARN pattern", async () => {
    const account = new SimulatedAccount();
    account.secrets.seedSecret("prod/api", "v1");
    account.enforce(
      role([
        allow(
          ["secretsmanager:GetSecretValue"],
          ["arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-??????"],
        ),
      ]),
    );
    const out = await account.runAs({ principal: "switchyard-rotate" }, () =>
      account.call("secretsmanager", "GetSecretValue", { SecretId: "prod/api" }),
    );
    expect(out.SecretString).toBe("v1");
  });

  it("does not check principals without a role (the operator, AWS services)", async () => {
    const account = new SimulatedAccount();
    account.secrets.seedSecret("prod/api", "v1");
    account.enforce(role([]));
    await expect(
      account.call("secretsmanager", "GetSecretValue", { SecretId: "prod/api" }),
    ).resolves.toMatchObject({
      SecretString: "v1",
    });
  });

  it("checks the caller's lambda:InvokeFunction on the rotation function when RotateSecret invokes it", async () => {
    const account = new SimulatedAccount();
    account.secrets.seedSecret("prod/api", "v1");
    account.lambda.registerHandler("switchyard-rotate", async () => null);
    const rotator = account.lambda.functionArn("switchyard-rotate");
    account.enforce(
      role([
        allow(
          ["secretsmanager:RotateSecret"],
          ["arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-??????"],
        ),
      ]),
    );
    const rotate = () =>
      account.runAs({ principal: "switchyard-rotate" }, () =>
        account.call("secretsmanager", "RotateSecret", { SecretId: "prod/api", RotationLambdaARN: rotator }),
      );
    await expect(rotate()).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining(`lambda:InvokeFunction on resource: ${rotator}`),
    });
    expect(account.secrets.rotations).toEqual([]);
  });

  it("checks the caller's ECR pull rights when UpdateFunctionCode names an image", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "queue-worker", alias: "live" });
    const fnArn = account.lambda.functionArn("queue-worker");
    account.enforce(role([allow(["lambda:UpdateFunctionCode"], [fnArn])]));
    const update = account.runAs({ principal: "switchyard-rotate" }, () =>
      account.call("lambda", "UpdateFunctionCode", {
        FunctionName: "queue-worker",
        ImageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/queue-worker@sha256:${"a".repeat(64)}`,
      }),
    );
    await expect(update).rejects.toMatchObject({
      name: "AccessDeniedException",
      message: expect.stringContaining(
        "ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/queue-worker",
      ),
    });
  });
});

describe("the AccessDeniedException message", () => {
  it("names the assumed role and session, the action and the resource", () => {
    const role = { roleName: "r", sessionName: "s", statements: [] };
    expect(
      accessDeniedMessage("aws", "1", role, { action: "sns:Publish", resource: "t" }, "ExplicitDeny"),
    ).toBe(
      "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: sns:Publish on resource: t " +
        "with an explicit deny in an identity-based policy",
    );
  });
});
