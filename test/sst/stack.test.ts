import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildInput } from "../../scripts/sst/rpc.ts";
import { sstEsbuildTargets } from "../../scripts/sst/rpc.ts";
import { ACCOUNT, type OfflineRun, REGION, type RecordedResource } from "../../scripts/sst/run.ts";
import type { ZipEntry } from "../../scripts/sst/stand-ins/archiver.ts";
import * as resourceArgs from "../../stacks/plan/inputs.ts";
import { planStack, policyDocument, type StackPlan, type Statement } from "../../stacks/plan.ts";
import exampleConfig from "../../switchyard.config.ts";

/**
 * The cloud path, offline: sst.config.ts runs as `sst deploy` runs it (SST's platform, bundling and
 * components, the @pulumi/aws SST pins) under Pulumi's mocks, and the resources it registers must be
 * exactly the plan (stacks/plan.ts) for the same config, stage, account and region.
 * scripts/sst/run.ts does the run in its own Node process; this file reads what it recorded.
 */

const root = resolve(import.meta.dirname, "..", "..");
const STAGE = "production";
const exec = promisify(execFile);

let run: OfflineRun;
let plan: StackPlan;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "switchyard-sst-"));
  const out = join(scratch, "run.json");
  await exec(process.execPath, [join(root, "scripts/sst/run.ts"), "--stage", STAGE, "--out", out], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  run = JSON.parse(readFileSync(out, "utf8")) as OfflineRun;
  plan = planStack(exampleConfig, { stage: STAGE, target: { account: ACCOUNT, region: REGION } });
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const stackUrn = () => run.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;
const topLevel = (type: string) => run.resources.filter((r) => r.type === type && r.parent === stackUrn());
const childrenOf = (parent: RecordedResource, type: string) =>
  run.resources.filter((r) => r.parent === parent.urn && r.type === type);
const named = (type: string, name: string) => {
  const found = run.resources.filter((r) => r.type === type && r.inputs.name === name);
  expect(found, `${type} named ${name}`).toHaveLength(1);
  return found[0] as RecordedResource;
};
const one = <T>(list: T[], what: string): T => {
  expect(list, what).toHaveLength(1);
  return list[0] as T;
};
const pascal = (name: string) =>
  name.replace(/(?:^|[^a-zA-Z0-9]+)([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());

interface PolicyJson {
  Statement: {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: unknown;
  }[];
}
/** An identity policy as the plan's statements: Allow only, actions and resources as lists. */
function statementsOf(json: string): Statement[] {
  const { Statement } = JSON.parse(json) as PolicyJson;
  return Statement.map((s) => {
    expect(s.Effect).toBe("Allow");
    return { actions: [s.Action].flat(), resources: [s.Resource].flat() };
  });
}

describe("the SST program under Pulumi mocks", () => {
  it("asks the CLI only to bootstrap the region and build the functions", () => {
    expect(new Set(run.rpc.map((c) => c.method))).toEqual(
      new Set(["Provider.Aws.Bootstrap", "Runtime.Build"]),
    );
    expect(run.rpc.filter((c) => c.method === "Runtime.Build")).toHaveLength(plan.functions.length);
    expect(run.app).toMatchObject({ name: "switchyard", stage: STAGE, removal: "retain", home: "aws" });
  });

  it("creates exactly the planned top-level resources, and nothing else outside SST's function components", () => {
    const counts = (types: string[]) =>
      Object.fromEntries(types.map((t) => [t, topLevel(t).length]).filter(([, n]) => n !== 0));
    const managed = [...plan.functions, ...plan.stateMachines.map((s) => s.role)].flatMap(
      (x) => x.managedPolicies,
    );
    const expected: Record<string, number> = Object.fromEntries(
      Object.entries({
        "aws:dynamodb/table:Table": 1,
        "aws:sqs/queue:Queue": 1,
        "aws:sqs/queuePolicy:QueuePolicy": 1,
        "aws:secretsmanager/secret:Secret": 1,
        "aws:iam/policy:Policy": managed.length,
        "sst:aws:Function": plan.functions.length,
        "aws:cloudwatch/eventRule:EventRule": plan.rules.length + plan.forwarding.rules.length,
        "aws:cloudwatch/eventTarget:EventTarget": plan.rules.length + plan.forwarding.rules.length,
        // One provider per region a forwarding rule lives in.
        "pulumi:providers:aws": new Set(plan.forwarding.rules.map((r) => r.region)).size,
        "aws:lambda/permission:Permission": plan.rules.length + plan.secretRotations.length,
        "aws:cloudwatch/logGroup:LogGroup": plan.stateMachines.length,
        "aws:iam/role:Role": plan.stateMachines.length + (plan.forwarding.role ? 1 : 0),
        "aws:iam/rolePolicy:RolePolicy": plan.stateMachines.length + (plan.forwarding.role ? 1 : 0),
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": plan.stateMachines.reduce(
          (n, s) => n + s.role.managedPolicies.length,
          0,
        ),
        "aws:sfn/stateMachine:StateMachine": plan.stateMachines.length,
        "aws:cloudwatch/metricAlarm:MetricAlarm": plan.alarms.length,
        "aws:cloudwatch/dashboard:Dashboard": 1,
        "aws:secretsmanager/secretRotation:SecretRotation": plan.secretRotations.length,
        // SST's one shared key for every function's resource.enc, and a link reference per component.
        "random:index/randomBytes:RandomBytes": 1,
        "sst:sst:LinkRef": plan.functions.length,
      }).filter(([, n]) => n !== 0),
    );
    const types = [...new Set(run.resources.filter((r) => r.parent === stackUrn()).map((r) => r.type))];
    expect(counts(types)).toEqual(expected);
    const components = new Set(topLevel("sst:aws:Function").map((c) => c.urn));
    const elsewhere = run.resources.filter(
      (r) => r.type !== "pulumi:pulumi:Stack" && r.parent !== stackUrn() && !components.has(r.parent),
    );
    expect(elsewhere.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it("keeps the table, the dead-letter queue and the webhook secret through `sst remove` in production", () => {
    expect(named("aws:dynamodb/table:Table", plan.table.name).retainOnDelete).toBe(true);
    expect(named("aws:sqs/queue:Queue", plan.deadLetterQueue.name).retainOnDelete).toBe(true);
    expect(named("aws:secretsmanager/secret:Secret", plan.webhookSecret.name).retainOnDelete).toBe(true);
  });

  it("creates the table, queue, queue policy and secret as planned", () => {
    const table = named("aws:dynamodb/table:Table", plan.table.name);
    expect(table.inputs).toMatchObject(resourceArgs.table(plan.table));
    const queue = named("aws:sqs/queue:Queue", plan.deadLetterQueue.name);
    expect(queue.inputs).toMatchObject({
      messageRetentionSeconds: plan.deadLetterQueue.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
    const queuePolicy = one(topLevel("aws:sqs/queuePolicy:QueuePolicy"), "queue policy");
    expect(queuePolicy.inputs).toEqual({
      queueUrl: plan.deadLetterQueue.url,
      policy: plan.deadLetterQueue.policy,
    });
    expect(named("aws:secretsmanager/secret:Secret", plan.webhookSecret.name).inputs).toMatchObject({
      description: plan.webhookSecret.description,
      recoveryWindowInDays: plan.webhookSecret.recoveryWindowInDays,
    });
  });

  describe.each(
    planStack(exampleConfig, { stage: STAGE, target: { account: ACCOUNT, region: REGION } }).functions.map(
      (f) => [f.name],
    ),
  )("function %s", (name) => {
    const planned = () => plan.functions.find((f) => f.name === name) as StackPlan["functions"][number];
    const component = () =>
      one(
        topLevel("sst:aws:Function").filter((c) => c.name === pascal(name)),
        `sst.aws.Function ${pascal(name)}`,
      );
    const lambda = () => one(childrenOf(component(), "aws:lambda/function:Function"), "Lambda function");

    it("runs the planned handler on nodejs22.x, arm64, with the planned memory, timeout and environment", () => {
      const f = planned();
      const build = one(
        run.rpc.filter(
          (c) => c.method === "Runtime.Build" && (c.args as BuildInput).functionID === pascal(name),
        ),
        "Runtime.Build",
      ).args as BuildInput;
      expect(build.handler).toBe(f.handler);
      expect(build.runtime).toBe("nodejs22.x");
      expect(build.properties).toMatchObject({
        format: "esm",
        minify: true,
        architecture: "arm64",
        plugins: plan.bundle.plugins,
      });
      // A target SST does not know is silently replaced by the runtime's (es2023 for nodejs22.x).
      const target = build.properties.esbuild?.target;
      if (target !== undefined) expect(sstEsbuildTargets.has(target.toLowerCase()), target).toBe(true);
      expect(lambda().inputs).toMatchObject({
        name: f.functionName,
        description: f.description,
        handler: "bundle.handler",
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        memorySize: f.memoryMB,
        timeout: f.timeoutSeconds,
        packageType: "Zip",
      });
      const variables = (lambda().inputs.environment as { variables: Record<string, string> }).variables;
      const sst = Object.keys(variables).filter((k) => k.startsWith("SST_"));
      expect(sst.sort()).toEqual(["SST_KEY", "SST_KEY_FILE", "SST_RESOURCE_App"]);
      expect(Object.fromEntries(Object.entries(variables).filter(([k]) => !k.startsWith("SST_")))).toEqual(
        f.environment,
      );
    });

    it("packages its bundle with the planned files at their paths", () => {
      const f = planned();
      const code = one(
        childrenOf(component(), "aws:s3/bucketObjectv2:BucketObjectv2").filter((o) =>
          o.name.endsWith("Code"),
        ),
        "code object",
      );
      const entries = JSON.parse(
        readFileSync((code.inputs.source as { path: string }).path, "utf8"),
      ) as ZipEntry[];
      // SST globs "**" under each source, which also yields the source itself ("." or the file again).
      const names = new Set(entries.map((e) => e.name).filter((n) => n !== "."));
      expect([...names].filter((n) => !n.startsWith("bundle.mjs")).sort()).toEqual(
        [...f.files.map((x) => x.path), "resource.enc"].sort(),
      );
      expect(names).toContain("bundle.mjs");
      for (const file of f.files) {
        const sources = entries.filter((e) => e.name === file.path);
        expect(sources.length, file.path).toBeGreaterThan(0);
        for (const source of sources) {
          expect(readFileSync(resolve(root, source.from ?? ""), "utf8")).toBe(file.contents);
        }
      }
    });

    it("gives its role exactly the planned statements and managed policies, trusted by Lambda only", () => {
      const f = planned();
      const role = one(childrenOf(component(), "aws:iam/role:Role"), "role");
      const inline = role.inputs.inlinePolicies as { name: string; policy: string }[];
      expect(statementsOf(one(inline, "inline policy").policy)).toEqual(f.permissions);
      expect(role.inputs.managedPolicyArns).toEqual([
        ...f.managedPolicies.map((p) => p.arn),
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      ]);
      for (const managed of f.managedPolicies) {
        expect(named("aws:iam/policy:Policy", managed.name).inputs.policy).toBe(
          policyDocument(managed.statements),
        );
      }
      expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      });
      expect(lambda().inputs.role).toBe(`arn:aws:iam::${ACCOUNT}:role/${role.inputs.name as string}`);
    });

    it("sends failed asynchronous invocations to the dead-letter queue after the planned retries", () => {
      const f = planned();
      const configs = childrenOf(
        component(),
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      );
      if (!f.asyncFailure) return expect(configs).toEqual([]);
      expect(one(configs, "event invoke config").inputs).toEqual({
        functionName: f.functionName,
        maximumRetryAttempts: f.asyncFailure.retries,
        destinationConfig: { onFailure: { destination: f.asyncFailure.destinationArn } },
      });
    });

    it("has a function URL only if planned, with the planned auth and only the URL's permissions", () => {
      const f = planned();
      const urls = childrenOf(component(), "aws:lambda/functionUrl:FunctionUrl");
      const permissions = childrenOf(component(), "aws:lambda/permission:Permission").map((p) => p.inputs);
      if (!f.url) {
        expect(urls).toEqual([]);
        return expect(permissions).toEqual([]);
      }
      expect(f.url.authorization).toBe("none");
      const url = one(urls, "function URL");
      expect(url.inputs).toEqual({
        functionName: f.functionName,
        authorizationType: "NONE",
        invokeMode: "BUFFERED",
      });
      expect(permissions).toEqual(
        expect.arrayContaining([
          {
            action: "lambda:InvokeFunctionUrl",
            function: f.functionName,
            principal: "*",
            functionUrlAuthType: "NONE",
          },
          {
            action: "lambda:InvokeFunction",
            function: f.functionName,
            principal: "*",
            invokedViaFunctionUrl: true,
          },
        ]),
      );
      expect(permissions).toHaveLength(2);
      expect(run.outputs.webhookUrl).toBe(`https://${url.name.toLowerCase()}.lambda-url.${REGION}.on.aws/`);
    });
  });

  it("exports the state table and every state machine's ARN as outputs, where the CLI's --aws finds them", () => {
    expect(run.outputs.stateTable).toBe(plan.table.name);
    expect(run.outputs.stateMachines).toEqual(
      Object.fromEntries(plan.stateMachines.map((sm) => [sm.name, sm.arn])),
    );
  });

  it("routes each rule to its function with the planned pattern, dead-letter queue and retry policy", () => {
    for (const rule of plan.rules) {
      const eventRule = named("aws:cloudwatch/eventRule:EventRule", rule.name);
      expect(eventRule.inputs).toEqual(resourceArgs.eventRule(rule));
      const target = one(
        topLevel("aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.inputs.rule === rule.name),
        `target of ${rule.name}`,
      );
      expect(target.inputs).toEqual(resourceArgs.eventTarget(rule));
      expect(target.dependencies).toContain(eventRule.urn);
      const permission = one(
        topLevel("aws:lambda/permission:Permission").filter((p) => p.inputs.sourceArn === rule.arn),
        `invoke permission of ${rule.name}`,
      );
      expect(permission.inputs).toEqual(
        resourceArgs.invokePermission(rule.invokePermission, rule.target.arn),
      );
      // The target names the function by the plan's ARN: it exists once the planned name does.
      expect(
        named("aws:lambda/function:Function", rule.target.arn.split(":").at(-1) ?? "").inputs.name,
      ).toBeTruthy();
    }
  });

  it("creates each state machine with its role, policies, logging and tracing", () => {
    for (const sm of plan.stateMachines) {
      const machine = named("aws:sfn/stateMachine:StateMachine", sm.stateMachineName);
      expect(machine.inputs).toMatchObject({
        type: sm.type,
        roleArn: sm.role.arn,
        ...resourceArgs.stateMachineObservability(sm),
      });
      expect(JSON.parse(machine.inputs.definition as string)).toEqual(sm.definition);
      const logGroup = named("aws:cloudwatch/logGroup:LogGroup", sm.logGroup.name);
      expect(logGroup.inputs.retentionInDays).toBe(sm.logGroup.retentionInDays);
      const role = named("aws:iam/role:Role", sm.role.name);
      expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      });
      const policy = one(
        topLevel("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === sm.role.name),
        `inline policy of ${sm.role.name}`,
      );
      expect(statementsOf(policy.inputs.policy as string)).toEqual(sm.role.permissions);
      const attached = topLevel("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(
        (a) => a.inputs.role === sm.role.name,
      );
      expect(attached.map((a) => a.inputs.policyArn)).toEqual(sm.role.managedPolicies.map((p) => p.arn));
      // Created after its role's policies and its functions, so its first execution can run.
      expect(machine.dependencies).toEqual(expect.arrayContaining([logGroup.urn, policy.urn]));
    }
  });

  it("creates the planned alarms and secret rotations", () => {
    for (const alarm of plan.alarms) {
      expect(named("aws:cloudwatch/metricAlarm:MetricAlarm", alarm.name).inputs).toEqual(
        resourceArgs.metricAlarm(alarm),
      );
    }
    for (const rotation of plan.secretRotations) {
      const rotations = topLevel("aws:secretsmanager/secretRotation:SecretRotation").filter(
        (r) => r.inputs.secretId === rotation.secretId,
      );
      expect(one(rotations, `rotation of ${rotation.secret}`).inputs).toEqual(
        resourceArgs.secretRotation(rotation),
      );
    }
  });
});

describe("the handlers as SST bundles them", () => {
  it("each imports on Node 22 and exports a handler function", async () => {
    const bundles = plan.functions.map((f) => ({
      name: f.name,
      dir: join(run.cli.paths.work, "artifacts", `${pascal(f.name)}-src`),
      environment: f.environment,
    }));
    // A fresh Node process per bundle, in the bundle's directory (LAMBDA_TASK_ROOT), with the
    // function's environment, as Lambda loads it.
    const probe = `
      const m = await import(process.cwd() + "/bundle.mjs");
      console.log(JSON.stringify({ node: process.versions.node, handler: typeof m.handler }));
    `;
    const results = await Promise.all(
      bundles.map(async (b) => {
        const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", probe], {
          cwd: b.dir,
          env: {
            PATH: process.env.PATH,
            AWS_REGION: REGION,
            LAMBDA_TASK_ROOT: b.dir,
            ...b.environment,
          },
        });
        return [b.name, JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")] as const;
      }),
    );
    for (const [name, result] of results) {
      expect(result, name).toEqual({ node: expect.stringMatching(/^22\./), handler: "function" });
    }
  });
});
