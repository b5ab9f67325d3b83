import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import ignition from "../examples/ignition-failover/switchyard.config.ts";
import { fleet } from "../packages/core/src/config/fleet.ts";
import { type ConfigInput, parseConfig } from "../packages/core/src/config/index.ts";
import { isPreparedConfig, prepareConfig, readPreparedConfig } from "../packages/core/src/config/prepared.ts";
import { stateTable } from "../packages/core/src/store/table.ts";
import {
  type FunctionName,
  functions,
  type ResourceRef,
  rules,
  stateMachines,
} from "../packages/core/src/wiring.ts";
import {
  type BundledFile,
  type FunctionPlan,
  planStack,
  policyDocument,
  type StackPlan,
  StackPlanError,
} from "../stacks/plan.ts";
import exampleConfig from "../switchyard.config.ts";

// asl-validator 4 ships no type declarations; this is the part of its API used here.
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validateAsl = createRequire(import.meta.url)("asl-validator") as AslValidator;

const STAGE = "production";

function refusal(
  input: ConfigInput,
  opts: Parameters<typeof planStack>[1] = { stage: STAGE },
): StackPlanError {
  try {
    planStack(input, opts);
  } catch (error) {
    if (error instanceof StackPlanError) return error;
    throw error;
  }
  throw new Error("the plan was accepted; expected a StackPlanError");
}

/** An account whose IAM "Managed policies per role" quota is raised to its maximum. */
const RAISED_QUOTA = { stage: STAGE, managedPoliciesPerRole: 20 };

/** Each role's inline statements and its managed policies' statements. */
const roles = (plan: StackPlan) => [
  ...plan.functions.map((f) => ({
    what: `function ${f.name}`,
    inline: f.permissions,
    managed: f.managedPolicies,
  })),
  ...plan.stateMachines.map((sm) => ({
    what: `state machine ${sm.name}`,
    inline: sm.role.permissions,
    managed: sm.role.managedPolicies,
  })),
];

const everyStatement = (plan: StackPlan) =>
  roles(plan).flatMap((r) => [...r.inline, ...r.managed.flatMap((m) => m.statements)]);

/** "action resource" pairs, one each, sorted: what a set of statements grants. */
const grants = (statements: readonly { actions: readonly string[]; resources: readonly string[] }[]) =>
  [
    ...new Set(statements.flatMap((s) => s.actions.flatMap((a) => s.resources.map((r) => `${a} ${r}`)))),
  ].sort();

/** Writes a function's bundled files into a fresh directory, as SST's copyFiles puts them in the bundle. */
function bundleRoot(files: readonly BundledFile[]): string {
  const root = mkdtempSync(join(tmpdir(), "switchyard-bundle-"));
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.contents);
  }
  return root;
}

const usedRefs = [
  ...new Set([...functions, ...stateMachines].flatMap((s) => s.permissions.flatMap((p) => p.resources))),
];

/** Symbolic resources that only the config names: empty when it names none (and no statement is planned on them). */
const CONFIG_NAMED = new Set<string>([
  "deployHookFunctions",
  "deployVersionAlarms",
  "costCappedFunctions",
  "costScheduleRules",
  "costEc2Instances",
  "costDbInstances",
  "costEcsServices",
  "managedSecrets",
  "rotationCredentials",
  "deployGithubTokens",
  "rotationFunctions",
  // What failover runbooks name (none in a config without runbooks, or without that part).
  "failoverAlarms",
  "failoverDatabases",
  "failoverFunctions",
  "failoverServices",
  "failoverGroups",
  "failoverParameters",
  "failoverZones",
  "failoverChanges",
  "failoverHealthChecks",
]);

/** Every `FunctionName` value in a state machine definition, wherever the task sits. */
function invokedFunctions(definition: unknown): string[] {
  if (Array.isArray(definition)) return definition.flatMap(invokedFunctions);
  if (typeof definition !== "object" || definition === null) return [];
  return Object.entries(definition).flatMap(([key, value]) =>
    key === "FunctionName" && typeof value === "string" ? [value] : invokedFunctions(value),
  );
}

describe.each([
  { what: "the example config", plan: () => planStack(exampleConfig, { stage: STAGE }) },
  {
    what: "500 deployments, in an account whose managed-policy quota is raised to 20",
    plan: () => planStack(fleet(500), RAISED_QUOTA),
  },
])("the stack plan for $what", ({ plan }) => {
  it("has exactly one function for each function in core's wiring", () => {
    const planned = plan().functions.map((f) => f.name);

    expect(planned.toSorted()).toEqual(functions.map((f) => f.name).toSorted());
  });

  it("targets a planned function from every rule, with the dead-letter queue and a retry policy", () => {
    const stack = plan();
    const arns = new Set(stack.functions.map((f) => f.arn));

    for (const rule of stack.rules) {
      expect(arns).toContain(rule.target.arn);
      expect(rule.target.deadLetterArn).toBe(stack.deadLetterQueue.arn);
      expect(rule.target.retryPolicy.maximumEventAgeInSeconds).toBeGreaterThan(0);
    }
  });

  it("grants no action with a wildcard", () => {
    const actions = everyStatement(plan()).flatMap((s) => s.actions);

    expect(actions.filter((action) => action.includes("*"))).toEqual([]);
  });

  it('grants Resource "*" only for actions AWS cannot scope, each listed with its reason', () => {
    const stack = plan();
    const unscoped = everyStatement(stack).filter((s) => s.resources.includes("*"));

    for (const statement of unscoped) {
      expect(statement.resources).toEqual(["*"]);
      for (const action of statement.actions)
        expect(stack.unscopedActions[action], action).toMatch(/\w.{30,}/);
    }
  });

  it("grants each role, across its inline and managed policies, exactly core's actions on exactly the planned resources", () => {
    const stack = plan();
    /** Core's declaration, resolved: scoped actions on the ARNs of their symbolic resources, the others on "*". */
    const declared = (
      permissions: readonly { actions: readonly string[]; resources: readonly ResourceRef[] }[],
    ) =>
      permissions.flatMap((p) =>
        p.actions.flatMap((a) =>
          a in stack.unscopedActions
            ? [`${a} *`]
            : p.resources.flatMap((ref) => stack.resources[ref]).map((arn) => `${a} ${arn}`),
        ),
      );
    const observability = Object.keys(stack.unscopedActions)
      .filter((a) => a.startsWith("logs:") || a.startsWith("xray:"))
      .map((a) => `${a} *`);

    for (const f of stack.functions) {
      const spec = functions.find((s) => s.name === f.name);
      expect(grants([...f.permissions, ...f.managedPolicies.flatMap((m) => m.statements)]), f.name).toEqual(
        [...new Set(declared(spec?.permissions ?? []))].sort(),
      );
    }
    for (const sm of stack.stateMachines) {
      const spec = stateMachines.find((s) => s.name === sm.name);
      expect(
        grants([...sm.role.permissions, ...sm.role.managedPolicies.flatMap((m) => m.statements)]),
      ).toEqual([...new Set([...declared(spec?.permissions ?? []), ...observability])].sort());
    }
  });

  it("keeps every inline policy within 10,240 characters and every managed policy within 6,144", () => {
    const stack = plan();

    for (const role of roles(stack)) {
      expect(policyDocument(role.inline).length, role.what).toBeLessThanOrEqual(10_240);
      for (const managed of role.managed)
        expect(policyDocument(managed.statements).length, managed.name).toBeLessThanOrEqual(6_144);
    }
  });

  it("resolves every symbolic resource the wiring uses to at least one ARN", () => {
    const { resources } = plan();

    for (const ref of usedRefs) {
      // Resources only the config names (a cost action's functions) are none when it names none.
      if (resources[ref].length === 0 && CONFIG_NAMED.has(ref)) continue;
      expect(resources[ref].length, ref).toBeGreaterThan(0);
      // Route 53 is global: its ARNs name neither a region nor an account.
      for (const arn of resources[ref])
        expect(arn, ref).toMatch(/^arn:aws:(?:[a-z0-9-]+:[a-z0-9-]*:\d{12}|route53::):\S+$/);
    }
  });

  it("defines a state machine that asl-validator accepts and that invokes only the planned deploy-steps", () => {
    const stack = plan();
    // Each state machine invokes its own steps function only.
    const stepsOf: Record<string, FunctionName> = {
      deploy: "deploy-steps",
      "cost-response": "cost-steps",
      "rotate-on-leak": "secret-leak-steps",
      failover: "failover-steps",
      failback: "failover-steps",
    };
    for (const sm of stack.stateMachines) {
      const steps = stack.functions.find((f) => f.name === stepsOf[sm.name])?.arn;
      expect(validateAsl(sm.definition).errorsText("\n")).toBe("");
      expect(new Set(invokedFunctions(sm.definition)), sm.name).toEqual(new Set([steps]));
    }
  });
});

describe("planStack", () => {
  it("plans the same rules for 1 deployment as for 500", () => {
    const one = planStack(fleet(1), { stage: STAGE });

    const fiveHundred = planStack(fleet(500), RAISED_QUOTA);

    expect(fiveHundred.rules).toEqual(one.rules);
    // All of core's rules but the failover trigger's alarm rule: no runbook names an alarm here.
    expect(one.rules).toHaveLength(rules.length - 1);
    expect(one.rules.some((r) => r.name.endsWith("failover-on-health-alarm"))).toBe(false);
  });

  it("plans the failover trigger's alarm rule for the alarms the runbooks name, and only those", () => {
    const input = structuredClone(ignition) as { failover: { runbooks: { triggers: unknown }[] } };
    for (const runbook of input.failover.runbooks)
      runbook.triggers = {
        // One alarm by name (the stack's region), one by ARN in the secondary region: its events
        // come forwarded to the stack's bus under the alarm's own name.
        alarms: ["ignition-primary-health", "arn:aws:cloudwatch:us-west-2:123456789012:alarm:ignition-lag"],
        health: false,
      };

    const plan = planStack(input as ConfigInput, { stage: STAGE });
    const rule = plan.rules.find((r) => r.name.endsWith("failover-on-health-alarm"));

    expect(JSON.parse(rule?.pattern ?? "null")).toEqual({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { state: { value: ["ALARM"] }, alarmName: ["ignition-lag", "ignition-primary-health"] },
    });
    expect(rule?.target.function).toBe("failover-trigger");
  });

  it("fits the example config's environment in Lambda's 4 KB", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    for (const f of plan.functions)
      expect(Buffer.byteLength(JSON.stringify(f.environment))).toBeLessThan(4096);
  });

  it("keeps the environment of 500 deployments as small as the example's, the config travelling in the bundle", () => {
    const example = planStack(exampleConfig, { stage: STAGE });

    const fiveHundred = planStack(fleet(500), RAISED_QUOTA);

    expect(fiveHundred.functions.map((f) => Buffer.byteLength(JSON.stringify(f.environment)))).toEqual(
      example.functions.map((f) => Buffer.byteLength(JSON.stringify(f.environment))),
    );
    // The config alone would overflow Lambda's 4 KB environment.
    const configBytes = fiveHundred.functions
      .flatMap((f) => f.files)
      .map((file) => Buffer.byteLength(file.contents));
    expect(Math.min(...configBytes)).toBeGreaterThan(4096);
  });

  it("bundles the config prepared in the file SWITCHYARD_CONFIG_FILE names: it reads back, without zod, as the parsed config", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });
    const rollback = plan.functions.find((f) => f.name === "rollback");

    const file = rollback?.files.find((f) => f.path === rollback.environment.SWITCHYARD_CONFIG_FILE);
    const raw: unknown = JSON.parse(file?.contents ?? "null");

    expect(isPreparedConfig(raw) && readPreparedConfig(raw, "file")).toStrictEqual(
      parseConfig(exampleConfig),
    );
  });

  it("keeps a small config's grants inline, with no managed policy", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    expect(roles(plan).flatMap((r) => r.managed)).toEqual([]);
  });

  it("attaches the overflow of 500 deployments' grants as managed policies named after the role, within the raised quota", () => {
    const plan = planStack(fleet(500), RAISED_QUOTA);
    const deploySteps = plan.functions.find((f) => f.name === "deploy-steps");

    expect(deploySteps?.managedPolicies.map((m) => m.arn)).toEqual(
      deploySteps?.managedPolicies.map(
        (_, i) => `arn:aws:iam::111122223333:policy/switchyard-production-deploy-steps-${i + 1}`,
      ),
    );
    // SST attaches AWSLambdaBasicExecutionRole to every function's role besides these.
    for (const f of plan.functions) expect(f.managedPolicies.length + 1, f.name).toBeLessThanOrEqual(20);
  });

  it("refuses 500 deployments under IAM's default quota of 10 managed policies per role, naming the quota and the ways out", () => {
    const { problems } = refusal(fleet(500));

    expect(problems).toContainEqual(
      expect.stringMatching(
        /^policies of the deploy-steps function's role: .*over the account's quota of 10 managed policies per role .*SWITCHYARD_MANAGED_POLICIES_PER_ROLE.*another Switchyard stack.*"iam": \{ "functionPrefixes"/,
      ),
    );
  });

  it("refuses a managed-policy quota that IAM cannot grant", () => {
    const { problems } = refusal(exampleConfig, { stage: STAGE, managedPoliciesPerRole: 25 });

    expect(problems).toEqual([expect.stringMatching(/^managedPoliciesPerRole 25: .*20 at most/)]);
  });

  it("names every function after the app and the stage", () => {
    const plan = planStack(fleet(1, { name: "payments" }), { stage: "dev" });

    expect(plan.functions.map((f) => f.functionName)).toEqual(functions.map((f) => `payments-dev-${f.name}`));
  });

  it("runs every function on Node 22 for arm64 with the memory and timeout core declares", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    expect(plan.functions.map((f) => [f.runtime, f.architecture, f.memoryMB, f.timeoutSeconds])).toEqual(
      functions.map((f) => ["nodejs22.x", "arm64", f.memoryMB, f.timeoutSeconds]),
    );
  });

  it("creates the state table with core's keys and TTL, on demand, with point-in-time recovery", () => {
    const { table } = planStack(exampleConfig, { stage: STAGE });

    expect(table).toMatchObject({
      partitionKey: { name: stateTable.partitionKey },
      sortKey: { name: stateTable.sortKey },
      ttlAttribute: stateTable.ttlAttribute,
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: true,
    });
  });

  it("keeps dead letters for 14 days and lets only the rules send them", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    const [statement] = JSON.parse(plan.deadLetterQueue.policy).Statement;

    expect(plan.deadLetterQueue.messageRetentionSeconds).toBe(14 * 86_400);
    expect(statement).toEqual({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: plan.deadLetterQueue.arn,
      Condition: { ArnEquals: { "aws:SourceArn": plan.rules.map((r) => r.arn) } },
    });
  });

  it("lets each rule, and only that rule, invoke its target", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    expect(plan.rules.map((r) => r.invokePermission)).toEqual(
      plan.rules.map((r) => ({
        action: "lambda:InvokeFunction",
        principal: "events.amazonaws.com",
        sourceArn: r.arn,
      })),
    );
  });

  it("sends a rule target's failed invocations to the dead-letter queue, which its role may write", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });
    const targets = plan.functions.filter((f) => rules.some((r) => r.target === f.name));

    for (const f of targets) {
      expect(f.asyncFailure?.destinationArn).toBe(plan.deadLetterQueue.arn);
      expect(f.permissions).toContainEqual({
        actions: ["sqs:SendMessage"],
        resources: [plan.deadLetterQueue.arn],
      });
    }
  });

  it("exposes only github-webhook through a public function URL, which checks GitHub's signature itself", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    const exposed = plan.functions.filter((f) => f.url);

    expect(exposed.map((f) => [f.name, f.url?.authorization])).toEqual([["github-webhook", "none"]]);
    expect(exposed[0]?.url?.why).toMatch(/X-Hub-Signature-256/);
  });

  it("logs every deploy execution to its log group and traces it", () => {
    const [deploy] = planStack(exampleConfig, { stage: STAGE }).stateMachines;

    expect(deploy).toMatchObject({
      logging: { level: "ALL", includeExecutionData: true },
      tracing: true,
      logGroup: { arn: `arn:aws:logs:us-east-1:123456789012:log-group:${deploy?.logGroup.name}` },
    });
  });

  it("grants the deploy state machine's role what core declares, on the planned deploy-steps", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });
    const deploySteps = plan.functions.find((f) => f.name === "deploy-steps")?.arn;

    expect(plan.stateMachines[0]?.role.permissions).toContainEqual({
      actions: ["lambda:InvokeFunction"],
      resources: [deploySteps, `${deploySteps}:*`],
    });
  });

  it("scopes managed-function grants to each deployment's function, written as a name or an ARN", () => {
    const legacy = "arn:aws:lambda:eu-west-1:111122223333:function:legacy-api";
    const input = fleet(1);
    const [first] = input.deployments ?? [];
    const plan = planStack(
      { ...input, deployments: [{ ...first, function: legacy } as NonNullable<typeof first>] },
      {
        stage: STAGE,
      },
    );

    expect(plan.resources.managedFunctions).toEqual([legacy, `${legacy}:*`]);
  });

  it("grants a declared function prefix as one wildcard ARN that covers the functions' aliases, and refuses none of its deployments", () => {
    const plan = planStack(
      fleet(400, { iam: { functionPrefixes: ["svc-"], repositoryPrefixes: ["platform/"] } }),
      { stage: STAGE },
    );

    expect(plan.resources.managedFunctions).toEqual(["arn:aws:lambda:eu-west-1:111122223333:function:svc-*"]);
    expect(plan.resources.imageRepositories).toEqual([
      "arn:aws:ecr:eu-west-1:111122223333:repository/platform/*",
    ]);
    expect(roles(plan).flatMap((r) => r.managed)).toEqual([]);
  });

  it("grants no SNS publish when the config names no notification topic", () => {
    const plan = planStack(fleet(2, { notifications: {} }), { stage: STAGE });

    expect(everyStatement(plan).filter((s) => s.actions.includes("sns:Publish"))).toEqual([]);
  });

  it("watches the dead-letter queue and every function's errors with alarms that notify the topic", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    expect(plan.alarms.map((a) => [a.namespace, a.metricName, a.dimensions, a.actions])).toEqual([
      [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        { QueueName: plan.deadLetterQueue.name },
        [plan.notificationTopicArn],
      ],
      ...functions.map((f) => [
        "AWS/Lambda",
        "Errors",
        { FunctionName: `switchyard-production-${f.name}` },
        [plan.notificationTopicArn],
      ]),
    ]);
  });

  it("alarms on the first dead letter and the first function error, not on an empty queue or no invocations", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });

    for (const alarm of plan.alarms)
      expect(alarm, alarm.name).toMatchObject({
        statistic: alarm.namespace === "AWS/SQS" ? "Maximum" : "Sum",
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
  });

  it("tells an operator where to look when a function fails, from how the function is invoked", () => {
    const plan = planStack(exampleConfig, { stage: STAGE });
    const described = (name: FunctionName) =>
      plan.alarms.find((a) => a.dimensions.FunctionName === `switchyard-production-${name}`)?.description;

    expect(described("deploy-steps")).toBe(
      "switchyard-production-deploy-steps failed: look at the deploy executions that called it",
    );
    expect(described("failover-steps")).toMatch(/the failover and failback executions/);
    expect(described("rollback")).toMatch(/dead-letter queue/);
    expect(described("github-webhook")).toMatch(/Recent Deliveries/);
    expect(described("rotate")).toMatch(/switchyard status/);
  });

  it("plans the alarms without actions when the config names no notification topic", () => {
    const plan = planStack(fleet(2, { notifications: {} }), { stage: STAGE });

    expect(plan.alarms.length).toBe(functions.length + 1);
    expect(plan.alarms.flatMap((a) => a.actions)).toEqual([]);
  });

  it("refuses to deploy to an account other than the config's, naming both and the fix", () => {
    const { problems } = refusal(exampleConfig, {
      stage: STAGE,
      target: { account: "444455556666", region: "us-east-1" },
    });

    expect(problems).toEqual([
      expect.stringMatching(/^account: .*"123456789012".*"444455556666".*set "account"/),
    ]);
  });

  it("refuses a stage that would make a function name longer than Lambda allows", () => {
    const { problems } = refusal(exampleConfig, { stage: "feature-1234-a-rather-long-branch-name-x" });

    expect(problems).toContainEqual(
      expect.stringMatching(
        /^Lambda function name "switchyard-feature-.*-github-webhook" is \d+ characters, over AWS's 64/,
      ),
    );
  });

  it("refuses a stage that is not a lower-case name", () => {
    const { problems } = refusal(exampleConfig, { stage: "Prod" });

    expect(problems).toEqual([
      expect.stringMatching(/^stage "Prod": must be lower-case letters, digits and "-"/),
    ]);
  });
});

describe("each function's planned environment", () => {
  // Rejected bus events are dead-lettered through SQS; the mock keeps that in-process.
  const sqs = mockClient(SQSClient);
  const context = {
    functionName: "stacks-test",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
  } as Context;
  type Handler = (event: unknown, context: Context) => Promise<unknown>;

  /** Each handler module, and an event that takes it through its environment and out without AWS. */
  const invocations: Record<FunctionName, { load: () => Promise<{ handler: unknown }>; event: unknown }> = {
    "deploy-trigger": { load: () => import("../packages/functions/src/deploy-trigger.ts"), event: {} },
    "scan-result": { load: () => import("../packages/functions/src/scan-result.ts"), event: {} },
    rollback: { load: () => import("../packages/functions/src/rollback.ts"), event: {} },
    "deploy-watch": { load: () => import("../packages/functions/src/deploy-watch.ts"), event: {} },
    "deploy-steps": {
      load: () => import("../packages/functions/src/deploy-steps.ts"),
      event: {
        action: "not-a-step",
        input: {},
        execution: "arn:aws:states:us-east-1:123456789012:execution:x:y",
      },
    },
    "cost-intake": { load: () => import("../packages/functions/src/cost-intake.ts"), event: {} },
    "cost-steps": {
      load: () => import("../packages/functions/src/cost-steps.ts"),
      event: {
        action: "not-a-step",
        input: {},
        execution: "arn:aws:states:us-east-1:123456789012:execution:x:y",
      },
    },
    rotate: { load: () => import("../packages/functions/src/rotate.ts"), event: {} },
    "secret-leak": { load: () => import("../packages/functions/src/secret-leak.ts"), event: {} },
    "secret-leak-steps": {
      load: () => import("../packages/functions/src/secret-leak-steps.ts"),
      event: {
        action: "not-a-step",
        input: {},
        execution: "arn:aws:states:us-east-1:123456789012:execution:x:y",
      },
    },
    "secrets-stuck": { load: () => import("../packages/functions/src/secrets-stuck.ts"), event: {} },
    "failover-trigger": { load: () => import("../packages/functions/src/failover-trigger.ts"), event: {} },
    "failover-steps": {
      load: () => import("../packages/functions/src/failover-steps.ts"),
      event: {
        action: "not-a-step",
        input: {},
        execution: "arn:aws:states:us-east-1:123456789012:execution:x:y",
      },
    },
    "github-webhook": {
      load: () => import("../packages/functions/src/github-webhook.ts"),
      event: { headers: {}, body: "{}", isBase64Encoded: false },
    },
  };

  /**
   * Runs the function's handler, fresh, on the planned environment and its bundled files (in a
   * directory that stands for LAMBDA_TASK_ROOT); returns the SWITCHYARD_* names it read.
   */
  async function variablesRead(f: FunctionPlan): Promise<string[]> {
    vi.resetModules();
    const taskRoot = bundleRoot(f.files);
    const reads = new Set<string>();
    const record = (key: string | symbol) => {
      if (typeof key === "string" && key.startsWith("SWITCHYARD_")) reads.add(key);
    };
    const original = process.env;
    const inherited = Object.entries(original).filter(([key]) => !key.startsWith("SWITCHYARD_"));
    process.env = new Proxy(
      // Log level and metrics are read all the same; silenced so the test output stays readable.
      {
        ...Object.fromEntries(inherited),
        ...f.environment,
        LAMBDA_TASK_ROOT: taskRoot,
        SWITCHYARD_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
      },
      {
        get: (target, key, receiver) => {
          record(key);
          return Reflect.get(target, key, receiver);
        },
        has: (target, key) => {
          record(key);
          return Reflect.has(target, key);
        },
      },
    );
    try {
      const { load, event } = invocations[f.name];
      const { handler } = await load();
      await (handler as Handler)(event, context).catch((error: Error) => {
        if (
          !/unknown deploy step|not a Secrets Manager rotation invocation|invalid rotate-on-leak payload|unknown failover step|unknown cost step/.test(
            error.message,
          )
        )
          throw error;
      });
    } finally {
      process.env = original;
      rmSync(taskRoot, { recursive: true, force: true });
    }
    return [...reads].sort();
  }

  afterEach(() => {
    sqs.reset();
  });

  it.each(functions.map((f) => [f.name] as const))("holds exactly the variables %s reads", async (name) => {
    const planned = planStack(exampleConfig, { stage: STAGE }).functions.find((f) => f.name === name);
    if (!planned) throw new Error(`${name} is not planned`);

    const read = await variablesRead(planned);

    expect(read).toEqual(Object.keys(planned.environment).sort());
  });

  it("dead-letters a rejected event to the planned queue URL", async () => {
    const plan = planStack(exampleConfig, { stage: STAGE });
    const rollback = plan.functions.find((f) => f.name === "rollback");
    if (!rollback) throw new Error("rollback is not planned");

    await variablesRead(rollback);

    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      plan.deadLetterQueue.url,
    ]);
  });
});

describe("environmentContext, the functions' context in AWS", () => {
  const taskRoots: string[] = [];
  /** A fresh runtime module: environmentContext keeps its context for the container's life. */
  async function freshContext(env: Record<string, string | undefined>) {
    vi.resetModules();
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const { environmentContext } = await import("../packages/functions/src/runtime.ts");
    return environmentContext({});
  }
  const unset = {
    SWITCHYARD_CONFIG_FILE: undefined,
    SWITCHYARD_CONFIG: undefined,
    SWITCHYARD_TABLE: "state",
  };

  /** A fresh context over a bundle holding `files`, with SWITCHYARD_CONFIG_FILE naming `file`. */
  async function contextOver(files: readonly BundledFile[], file = "switchyard.config.json") {
    const taskRoot = bundleRoot(files);
    taskRoots.push(taskRoot);
    return freshContext({ ...unset, LAMBDA_TASK_ROOT: taskRoot, SWITCHYARD_CONFIG_FILE: file });
  }

  afterEach(() => {
    vi.unstubAllEnvs();
    for (const root of taskRoots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it("reads the config from the bundled file SWITCHYARD_CONFIG_FILE names, relative to LAMBDA_TASK_ROOT", async () => {
    const rollback = planStack(exampleConfig, { stage: STAGE }).functions.find((f) => f.name === "rollback");
    const context = await contextOver(rollback?.files ?? [], rollback?.environment.SWITCHYARD_CONFIG_FILE);

    const { config } = context();

    expect(config).toEqual(parseConfig(exampleConfig));
  });

  it("reads a prepared config inline from SWITCHYARD_CONFIG when no file is named", async () => {
    const context = await freshContext({
      ...unset,
      SWITCHYARD_CONFIG: prepareConfig(parseConfig(exampleConfig)),
    });

    const { config } = context();

    expect(config).toStrictEqual(parseConfig(exampleConfig));
  });

  it("refuses a config as written, which it would have to validate, naming the command that prepares it", async () => {
    const context = await freshContext({ ...unset, SWITCHYARD_CONFIG: JSON.stringify(exampleConfig) });

    expect(context).toThrow(
      /^\$SWITCHYARD_CONFIG holds a config as written, not one the stack prepared: .*`npx switchyard validate --config switchyard\.config\.ts --prepare switchyard\.config\.json`$/,
    );
  });

  it("refuses a prepared file changed after the deploy, naming the file and the fix", async () => {
    const rollback = planStack(exampleConfig, { stage: STAGE }).functions.find((f) => f.name === "rollback");
    const prepared = rollback?.files[0]?.contents ?? "";
    // A hand edit in the Lambda console's code editor: the guarding alarm taken out of the config.
    const edited = prepared.replace('"alarms":["ServerCpuTooHigh"]', '"alarms":[]');
    expect(edited).not.toBe(prepared);
    const context = await contextOver([{ path: "switchyard.config.json", contents: edited }]);

    expect(context).toThrow(
      /switchyard\.config\.json \(\$SWITCHYARD_CONFIG_FILE\) was changed after the stack prepared it .*change switchyard\.config\.ts and deploy again/,
    );
  });

  it("names the variable, the missing file and the fix", async () => {
    const context = await contextOver([]);

    expect(context).toThrow(
      /^SWITCHYARD_CONFIG_FILE is "switchyard.config.json", but .*switchyard\.config\.json cannot be read \(ENOENT\): deploy with the stack/,
    );
  });

  it("names the file when it does not hold JSON", async () => {
    const context = await contextOver(
      [{ path: "config.json", contents: '{"deployments": [' }],
      "config.json",
    );

    expect(context).toThrow(
      /config\.json \(\$SWITCHYARD_CONFIG_FILE\) is not JSON .*deploy with the stack, which writes it, or write it with `npx switchyard validate/,
    );
  });

  it("names both variables when neither is set", async () => {
    const context = await freshContext(unset);

    expect(context).toThrow(/^neither SWITCHYARD_CONFIG_FILE nor SWITCHYARD_CONFIG is set: /);
  });
});
