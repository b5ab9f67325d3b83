import { describe, expect, it } from "vitest";
import { fleetOf as fleet } from "../packages/cli/src/bench/policies.ts";
import { replay } from "../packages/cli/src/replay.ts";
import { ConfigError, type ConfigInput, parseConfig } from "../packages/core/src/config/index.ts";
import { evaluate, type PolicyStatement } from "../packages/sim/src/iam.ts";
import { planStack, policyDocument, type StackPlan, StackPlanError } from "../stacks/plan.ts";
import exampleConfig from "../switchyard.config.ts";
import { busEvent } from "./support/scenario.ts";

// Issue #14: 2,000 deployments within IAM's default quotas, least privilege kept
// (docs/decisions/0024-iam-at-scale.md). The fleet is the bench's, invented (policies.ts says why).

const STAGE = "production";
const ACCOUNT = "111122223333";
const lambda = (name: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:${name}`;
const repository = (name: string) => `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${name}`;

/** A role's statements as the simulated account evaluates them: inline and every attached managed policy. */
function roleStatements(plan: StackPlan, fn: string): PolicyStatement[] {
  const f = plan.functions.find((x) => x.name === fn);
  if (!f) throw new Error(`no function ${fn} in the plan`);
  return [...f.permissions, ...f.managedPolicies.flatMap((p) => p.statements)].map((s) => ({
    effect: "Allow",
    actions: s.actions,
    resources: s.resources,
  }));
}

const DEPLOY_ROLES = ["deploy-trigger", "deploy-steps", "deploy-watch", "rollback"] as const;

function refusal(input: ConfigInput): string[] {
  try {
    planStack(input, { stage: STAGE });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    if (error instanceof StackPlanError) return error.problems;
    throw error;
  }
  throw new Error("the plan was accepted; expected a refusal");
}

describe("2,000 deployments under IAM's default quotas", () => {
  const plan = planStack(fleet(2_000, true), { stage: STAGE });

  it("plans every role within 10 managed policies, AWSLambdaBasicExecutionRole counted, under the default quota", () => {
    for (const f of plan.functions) expect(f.managedPolicies.length + 1, f.name).toBeLessThanOrEqual(10);
    for (const sm of plan.stateMachines)
      expect(sm.role.managedPolicies.length, sm.name).toBeLessThanOrEqual(10);
  });

  it("keeps every managed policy within 6,144 characters and every inline policy within 10,240, whitespace excluded", () => {
    const size = (statements: Parameters<typeof policyDocument>[0]) =>
      policyDocument(statements).replace(/\s/g, "").length;
    for (const f of plan.functions) {
      expect(size(f.permissions), f.name).toBeLessThanOrEqual(10_240 - 512);
      for (const p of f.managedPolicies) expect(size(p.statements), p.name).toBeLessThanOrEqual(6_144);
    }
  });

  it("lets every deploy role act on a configured function, its alias and its repository", () => {
    for (const role of DEPLOY_ROLES) {
      const statements = roleStatements(plan, role);
      expect(
        evaluate(statements, { action: "lambda:UpdateAlias", resource: lambda("svc-1999-api:live") }),
        role,
      ).toBe("Allow");
      expect(
        evaluate(statements, { action: "lambda:GetAlias", resource: lambda("svc-0-api:live") }),
        role,
      ).toBe("Allow");
    }
    const steps = roleStatements(plan, "deploy-steps");
    expect(evaluate(steps, { action: "lambda:UpdateFunctionCode", resource: lambda("svc-1234-api") })).toBe(
      "Allow",
    );
    expect(evaluate(steps, { action: "ecr:BatchGetImage", resource: repository("platform/svc-1234") })).toBe(
      "Allow",
    );
  });

  it("denies every deploy role a function and a repository outside the config's names and prefixes", () => {
    const outside = [
      lambda("billing-api"),
      lambda("billing-api:live"),
      // Switchyard's own functions: deploy rights there would rewrite the control plane.
      lambda(`switchyard-${STAGE}-rollback`),
      // The configured name in another account and in another region.
      "arn:aws:lambda:eu-west-1:444455556666:function:svc-1-api:live",
      "arn:aws:lambda:us-east-1:111122223333:function:svc-1-api:live",
    ];
    for (const role of DEPLOY_ROLES) {
      const statements = roleStatements(plan, role);
      for (const resource of outside)
        expect(evaluate(statements, { action: "lambda:UpdateAlias", resource }), `${role} ${resource}`).toBe(
          "ImplicitDeny",
        );
    }
    const steps = roleStatements(plan, "deploy-steps");
    expect(evaluate(steps, { action: "ecr:BatchGetImage", resource: repository("platform/billing") })).toBe(
      "ImplicitDeny",
    );
    expect(evaluate(steps, { action: "lambda:UpdateFunctionCode", resource: lambda("billing-api") })).toBe(
      "ImplicitDeny",
    );
  });

  it("grants a deployment outside every prefix its exact ARNs beside the prefix's wildcard", () => {
    const input = fleet(3, true);
    const legacy = {
      name: "legacy",
      function: "legacy-api",
      alias: "live",
      image: { repository: "legacy", tag: "v1" },
      strategy: "AllAtOnce" as const,
      alarms: [],
    };
    const mixed = planStack(
      { ...input, deployments: [...(input.deployments ?? []), legacy] },
      { stage: STAGE },
    );

    expect(mixed.resources.managedFunctions).toEqual([
      lambda("svc-*"),
      lambda("legacy-api"),
      lambda("legacy-api:*"),
    ]);
    expect(mixed.resources.imageRepositories).toEqual([repository("platform/svc-*"), repository("legacy")]);
  });

  it("refuses 2,000 deployments granted ARN by ARN under the default quota, naming the prefixes as the way out", () => {
    expect(refusal(fleet(2_000))).toContainEqual(
      expect.stringMatching(
        /^policies of the deploy-trigger function's role: .*"iam": \{ "functionPrefixes"/,
      ),
    );
  });
});

describe("without prefixes, grants name each ARN exactly", () => {
  it("denies a function whose name only starts like a configured one", () => {
    const plan = planStack(fleet(20), { stage: STAGE });
    const statements = roleStatements(plan, "deploy-steps");

    expect(evaluate(statements, { action: "lambda:UpdateAlias", resource: lambda("svc-1-api:live") })).toBe(
      "Allow",
    );
    expect(evaluate(statements, { action: "lambda:UpdateAlias", resource: lambda("svc-1-api2:live") })).toBe(
      "ImplicitDeny",
    );
    expect(evaluate(statements, { action: "lambda:UpdateAlias", resource: lambda("svc-99-api") })).toBe(
      "ImplicitDeny",
    );
  });
});

describe("iam prefixes are checked at load", () => {
  const issues = (iam: Record<string, unknown>, more: Partial<ConfigInput> = {}) =>
    refusal({ ...fleet(2, true), iam, ...more } as ConfigInput);

  it("refuses a prefix no deployment's name starts with", () => {
    expect(issues({ functionPrefixes: ["billing-"] })).toEqual([
      expect.stringMatching(/^iam\.functionPrefixes\[0\]: "billing-" starts no function of deployments\[\]/),
    ]);
  });

  it("refuses a function prefix that reaches Switchyard's own functions", () => {
    expect(
      issues({ functionPrefixes: ["svc-"] }, { name: "svc-control" } as Partial<ConfigInput>),
    ).toContainEqual(
      expect.stringMatching(/^iam\.functionPrefixes\[0\]: "svc-" reaches Switchyard's own functions/),
    );
  });

  it("refuses a function prefix that reaches a secret's rotation function", () => {
    const secrets = [
      { name: "db", secretId: "prod/db", rotator: "custom", rotationFunction: "svc-rotator", options: {} },
    ];
    expect(issues({ functionPrefixes: ["svc-"] }, { secrets } as Partial<ConfigInput>)).toContainEqual(
      expect.stringMatching(
        /^iam\.functionPrefixes\[0\]: "svc-" reaches the rotation function "svc-rotator"/,
      ),
    );
  });

  it("refuses a prefix inside another and a prefix holding an IAM wildcard", () => {
    expect(issues({ functionPrefixes: ["svc-", "svc-1"] })).toEqual([
      expect.stringMatching(
        /^iam\.functionPrefixes\[1\]: "svc-1" is already covered by iam\.functionPrefixes\[0\]/,
      ),
    ]);
    expect(issues({ repositoryPrefixes: ["platform/*"] })).toContainEqual(
      expect.stringMatching(/^iam\.repositoryPrefixes\[0\]: must be .*no wildcards/),
    );
  });
});

describe("a deploy and a rollback under a prefix grant, with the simulated account enforcing IAM", () => {
  it("shifts and rolls back the example's api through the wildcard grant alone", async () => {
    const input: ConfigInput = {
      ...exampleConfig,
      iam: { functionPrefixes: ["api-"], repositoryPrefixes: ["my-repository"] },
    };
    const plan = planStack(input, { stage: STAGE });
    expect(plan.resources.managedFunctions).toContain("arn:aws:lambda:us-east-1:123456789012:function:api-*");
    expect(plan.resources.managedFunctions).not.toContain(
      "arn:aws:lambda:us-east-1:123456789012:function:api-handler",
    );

    const report = await replay(parseConfig(input), [
      busEvent("aws/ecr/image-push.json"),
      busEvent("scenarios/image-scan-clean.json"),
      busEvent("scenarios/alarm-server-cpu-too-high.json"),
    ]);

    expect(report.events[0]?.reactions[0]).toMatchObject({ reaction: "deploy", decision: "started" });
    expect(report.events[2]?.reactions[0]).toMatchObject({ reaction: "rollback", outcome: "rolled-back" });
    expect(report.aliases["api-handler:live"]).toEqual({ version: "1", weights: {} });
    expect(JSON.stringify(report)).not.toContain("AccessDenied");
  });
});

it("parses the bench's fleet with its prefixes", () => {
  expect(parseConfig(fleet(2, true)).iam).toEqual({
    functionPrefixes: ["svc-"],
    repositoryPrefixes: ["platform/svc-"],
  });
});
