import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as resourceArgs from "./plan/inputs.ts";
import { budgetAlarmArgs } from "./plan/slo.ts";
import { type FunctionPlan, type ManagedPolicyPlan, policyDocument, type StackPlan } from "./plan.ts";

/**
 * Creates what the plan describes, and nothing else: every name, ARN, pattern, policy and
 * setting comes from `planStack` (tested in test/stacks.test.ts). The only SST/Pulumi code;
 * `dependsOn` orders creation where one resource names another by the plan's ARN.
 */
export function createStack(plan: StackPlan): {
  webhookUrl: $util.Output<string> | undefined;
  stateTable: string;
  stateMachines: Record<string, string>;
} {
  const id = (name: string) =>
    name.replace(/(?:^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  // SST's `removal: "retain"` keeps only stateful types it lists (tables, buckets, databases). The
  // dead-letter queue holds events no reaction handled yet, and GitHub keeps a copy of the webhook
  // secret: both outlive `sst remove` whenever the stage retains anything ("retain", "retain-all").
  const keep = { retainOnDelete: $app.removal !== "remove" };

  new aws.dynamodb.Table("StateTable", resourceArgs.table(plan.table));

  const dlq = plan.deadLetterQueue;
  const queue = new aws.sqs.Queue(
    "DeadLetters",
    {
      name: dlq.name,
      messageRetentionSeconds: dlq.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
    },
    keep,
  );
  new aws.sqs.QueuePolicy(
    "DeadLettersPolicy",
    { queueUrl: dlq.url, policy: dlq.policy },
    { dependsOn: [queue] },
  );

  new aws.secretsmanager.Secret(
    "WebhookSecret",
    {
      name: plan.webhookSecret.name,
      description: plan.webhookSecret.description,
      recoveryWindowInDays: plan.webhookSecret.recoveryWindowInDays,
    },
    keep,
  );

  const managedPolicies = (policies: ManagedPolicyPlan[]) =>
    policies.map(
      (p) =>
        new aws.iam.Policy(`${id(p.name)}Policy`, { name: p.name, policy: policyDocument(p.statements) }),
    );
  // SST resolves `copyFiles` sources against the app's root, the working directory it runs the
  // program in, so each file is written there under `.sst` (git-ignored) by a relative path.
  const bundled = (f: FunctionPlan) =>
    f.files.map((file) => {
      const from = join(".sst", "switchyard", plan.stage, f.name, file.path);
      mkdirSync(dirname(from), { recursive: true });
      writeFileSync(from, file.contents);
      return { from, to: file.path };
    });
  // SST 4.17 picks its role trust policy with `!dev` on an Output, which is always false, so every
  // function role would also trust the account root (its `sst dev` policy). Only Lambda assumes these.
  const lambdaTrust = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  });
  const fns = new Map(
    plan.functions.map((f) => {
      const policies = managedPolicies(f.managedPolicies);
      const failure = f.asyncFailure;
      const fn = new sst.aws.Function(
        id(f.name),
        {
          name: f.functionName,
          description: f.description,
          handler: f.handler,
          runtime: f.runtime,
          architecture: f.architecture,
          memory: `${f.memoryMB} MB`,
          timeout: `${f.timeoutSeconds} seconds`,
          environment: f.environment,
          // SST takes a statement's conditions as a list of { test, variable, values }.
          permissions: f.permissions.map(({ conditions, ...statement }) => ({
            ...statement,
            ...(conditions
              ? {
                  conditions: Object.entries(conditions).flatMap(([test, keys]) =>
                    Object.entries(keys).map(([variable, values]) => ({
                      test,
                      variable,
                      values: typeof values === "string" ? [values] : values,
                    })),
                  ),
                }
              : {}),
          })),
          // Outputs, so that the role waits for the policies it attaches.
          policies: $output(policies.map((p) => p.arn)),
          copyFiles: bundled(f),
          url: f.url ? { authorization: f.url.authorization, cors: false } : false,
          // SST attaches AWSLambdaVPCAccessExecutionRole to the role itself (f.vpc.rolePolicy).
          ...(f.vpc
            ? { vpc: { privateSubnets: f.vpc.subnetIds, securityGroups: f.vpc.securityGroupIds } }
            : {}),
          // No `esbuild.target`: SST passes on only `esNNNN` targets (a `node22` is dropped) and
          // derives es2023 from the nodejs22.x runtime itself (pkg/runtime/node/build.go).
          // The plugins file swaps the SDK's default credential chain for the environment's
          // credentials (stacks/bundle-plugins.ts): SST passes on no `esbuild.alias`.
          nodejs: { format: plan.bundle.format, minify: plan.bundle.minify, plugins: plan.bundle.plugins },
          // Failed asynchronous invocations (EventBridge, after its own retries) go to the DLQ.
          ...(failure ? { retries: failure.retries } : {}),
          transform: {
            role: { assumeRolePolicy: lambdaTrust },
            ...(failure
              ? {
                  eventInvokeConfig: {
                    destinationConfig: { onFailure: { destination: failure.destinationArn } },
                  },
                }
              : {}),
          },
        },
        { dependsOn: [queue] },
      );
      return [f.name, fn] as const;
    }),
  );

  for (const rule of plan.rules) {
    const eventRule = new aws.cloudwatch.EventRule(id(rule.name), resourceArgs.eventRule(rule));
    const permission = new aws.lambda.Permission(
      `${id(rule.name)}Invoke`,
      resourceArgs.invokePermission(rule.invokePermission, rule.target.arn),
      { dependsOn: [...fns.values()] },
    );
    new aws.cloudwatch.EventTarget(`${id(rule.name)}Target`, resourceArgs.eventTarget(rule), {
      dependsOn: [eventRule, permission, queue],
    });
  }

  // AWS Health events of the runbooks' other regions reach only those regions' default buses: a
  // rule there forwards them to this stack's bus, with a role EventBridge assumes to put them.
  const { forwarding } = plan;
  if (forwarding.role) {
    const forwardRole = new aws.iam.Role(id(forwarding.role.name), {
      name: forwarding.role.name,
      assumeRolePolicy: forwarding.role.trustPolicy,
    });
    new aws.iam.RolePolicy(`${id(forwarding.role.name)}Policy`, {
      role: forwardRole.name,
      policy: forwarding.role.policy,
    });
    const providers = new Map<string, aws.Provider>();
    for (const rule of forwarding.rules) {
      const provider =
        providers.get(rule.region) ??
        new aws.Provider(id(`aws-${rule.region}`), { region: rule.region as aws.Region });
      providers.set(rule.region, provider);
      const eventRule = new aws.cloudwatch.EventRule(
        id(`${rule.name}-${rule.region}`),
        {
          name: rule.name,
          description: rule.description,
          eventBusName: rule.eventBusName,
          eventPattern: rule.pattern,
        },
        { provider },
      );
      new aws.cloudwatch.EventTarget(
        `${id(`${rule.name}-${rule.region}`)}Target`,
        {
          rule: rule.name,
          eventBusName: rule.eventBusName,
          arn: rule.target.arn,
          roleArn: forwardRole.arn,
        },
        { provider, dependsOn: [eventRule] },
      );
    }
  }

  for (const sm of plan.stateMachines) {
    const logGroup = new aws.cloudwatch.LogGroup(`${id(sm.name)}Logs`, {
      name: sm.logGroup.name,
      retentionInDays: sm.logGroup.retentionInDays,
    });
    const role = new aws.iam.Role(`${id(sm.name)}Role`, {
      name: sm.role.name,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    });
    const policy = new aws.iam.RolePolicy(
      `${id(sm.name)}RolePolicy`,
      { role: sm.role.name, policy: policyDocument(sm.role.permissions) },
      { dependsOn: [role] },
    );
    const attachments = managedPolicies(sm.role.managedPolicies).map(
      (managed, i) =>
        new aws.iam.RolePolicyAttachment(
          `${id(sm.name)}RolePolicy${i + 1}`,
          { role: sm.role.name, policyArn: managed.arn },
          { dependsOn: [role] },
        ),
    );
    new aws.sfn.StateMachine(
      `${id(sm.name)}StateMachine`,
      {
        name: sm.stateMachineName,
        type: sm.type,
        roleArn: sm.role.arn,
        definition: JSON.stringify(sm.definition),
        ...resourceArgs.stateMachineObservability(sm),
      },
      { dependsOn: [logGroup, policy, ...attachments, ...fns.values()] },
    );
  }

  for (const alarm of plan.alarms) {
    new aws.cloudwatch.MetricAlarm(id(alarm.name), resourceArgs.metricAlarm(alarm));
  }

  // The error budgets' burn-rate alarms (stacks/plan/slo.ts): metric math, no action (their state
  // changes reach the bus).
  for (const alarm of plan.budgetAlarms)
    new aws.cloudwatch.MetricAlarm(id(alarm.AlarmName), budgetAlarmArgs(alarm));

  // --- Self-monitoring dashboard (stacks/plan/dashboard.ts). The alarms above already include the
  // dead-letter queue's and every function's errors alarm (stacks/plan/alarms.ts). ---
  new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: plan.dashboard.name,
    dashboardBody: plan.dashboard.body,
  });
  // --- end of the self-monitoring dashboard ---

  for (const rotation of plan.secretRotations) {
    const permission = new aws.lambda.Permission(
      `${id(rotation.secret)}RotationInvoke`,
      resourceArgs.invokePermission(rotation.invokePermission, rotation.rotationFunctionArn),
    );
    new aws.secretsmanager.SecretRotation(
      `${id(rotation.secret)}Rotation`,
      resourceArgs.secretRotation(rotation),
      {
        dependsOn: [permission, ...fns.values()],
      },
    );
  }

  const webhook = plan.functions.find((f) => f.url);
  // SST writes these to .sst/outputs.json, where `switchyard … --aws` finds the stack.
  return {
    webhookUrl: webhook && fns.get(webhook.name)?.url,
    stateTable: plan.table.name,
    stateMachines: Object.fromEntries(plan.stateMachines.map((sm) => [sm.name, sm.arn])),
  };
}
