import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { ensurePlatform } from "./platform.ts";
import { type App, bundleProgram, type Cli, loadApp } from "./program.ts";
import { type RpcCall, startRpcServer } from "./rpc.ts";

/**
 * Runs the SST program (sst.config.ts) offline, as `sst deploy` would run it, under Pulumi's mocks
 * (`pulumi.runtime.setMocks`, the way SST tests its own components): SST's real platform and
 * components, the `@pulumi/aws` version SST pins, SST's bundling of sst.config.ts and of each
 * handler, and a local stub for the CLI's RPC calls. Nothing reaches AWS; each resource the
 * program registers is recorded with its inputs and options.
 *
 *   node scripts/sst/run.ts --stage production --out .sst/offline/production.json
 */

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  inputs: Record<string, unknown>;
  retainOnDelete: boolean;
  dependencies: string[];
}

export interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
}

export interface OfflineRun {
  app: App;
  cli: Cli;
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
  rpc: RpcCall[];
  outputs: Record<string, unknown>;
}

const root = resolve(import.meta.dirname, "..", "..");

/** The IAM JSON the AWS provider renders from `getPolicyDocument`'s statements. */
function policyJson(statements: Record<string, unknown>[] = []): string {
  const list = (v: unknown) => (Array.isArray(v) && v.length === 1 ? v[0] : v);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: s.effect ?? "Allow",
      ...(s.actions ? { Action: list(s.actions) } : {}),
      ...(s.resources ? { Resource: list(s.resources) } : {}),
      ...(s.principals
        ? {
            Principal: Object.fromEntries(
              (s.principals as { type: string; identifiers: string[] }[]).map((p) => [
                p.type,
                list(p.identifiers),
              ]),
            ),
          }
        : {}),
    })),
  });
}

/** A resource's state as the provider would return it: its inputs, a name, an ARN, a few attributes. */
function stateOf(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = (inputs.name as string | undefined) ?? name;
  const arns: Record<string, string> = {
    "aws:lambda/function:Function": `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}`,
    "aws:iam/role:Role": `arn:aws:iam::${ACCOUNT}:role/${physical}`,
    "aws:iam/policy:Policy": `arn:aws:iam::${ACCOUNT}:policy/${physical}`,
    "aws:sqs/queue:Queue": `arn:aws:sqs:${REGION}:${ACCOUNT}:${physical}`,
    "aws:cloudwatch/logGroup:LogGroup": `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}`,
    "aws:sfn/stateMachine:StateMachine": `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${physical}`,
  };
  const extras: Record<string, Record<string, unknown>> = {
    "aws:lambda/functionUrl:FunctionUrl": {
      functionUrl: `https://${name.toLowerCase()}.lambda-url.${REGION}.on.aws/`,
    },
    "aws:sqs/queue:Queue": { url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}` },
    "aws:lambda/function:Function": {
      version: "$LATEST",
      invokeArn: `${arns["aws:lambda/function:Function"]}/invocations`,
    },
  };
  const extra = extras[type];
  return {
    ...inputs,
    name: physical,
    arn:
      (inputs.arn as string | undefined) ?? arns[type] ?? `arn:aws:mock:${REGION}:${ACCOUNT}:${type}/${name}`,
    ...extra,
  };
}

export async function runOffline(stage: string): Promise<OfflineRun> {
  const platform = ensurePlatform();
  const work = join(root, ".sst", "offline", stage);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const server = await startRpcServer({ root, work, account: ACCOUNT });
  const outfile = join(platform, `sst.config.offline.${process.pid}.mjs`);
  try {
    const app = await loadApp(root, stage);
    const cli: Cli = {
      command: "deploy",
      dev: false,
      paths: { home: join(work, "home"), root, work, platform },
      state: { version: {} },
    };
    await bundleProgram(root, app, cli, outfile);

    await pulumi.runtime.setMocks(
      {
        newResource: ({ type, name, inputs }) => ({ id: `${name}-id`, state: stateOf(type, name, inputs) }),
        call: ({ token, inputs }) => {
          invokes.push({ token, inputs });
          switch (token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
              return {
                accountId: ACCOUNT,
                arn: `arn:aws:iam::${ACCOUNT}:user/offline`,
                userId: "AIDAOFFLINE",
                id: ACCOUNT,
              };
            case "aws:index/getRegion:getRegion":
              return {
                region: REGION,
                name: REGION,
                id: REGION,
                endpoint: `ec2.${REGION}.amazonaws.com`,
                description: "US East (N. Virginia)",
              };
            case "aws:index/getPartition:getPartition":
              return {
                partition: "aws",
                dnsSuffix: "amazonaws.com",
                reverseDnsPrefix: "com.amazonaws",
                id: "aws",
              };
            case "aws:iam/getPolicyDocument:getPolicyDocument":
              return { ...inputs, json: policyJson(inputs.statements), id: "policy" };
            default:
              throw new Error(`offline SST run: no mock for the call ${token}`);
          }
        },
      },
      app.name,
      app.stage,
      false,
    );
    // The mocks see a resource's type, name and inputs; its options (parent, retainOnDelete,
    // dependsOn) are in the registration request the monitor receives.
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(
        req: RegisterRequest,
        callback: (err: unknown, res: RegisterResponse) => void,
      ): Promise<void>;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
      register(req, (err, res) => {
        if (!err) {
          resources.push({
            urn: res.getUrn(),
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent(),
            inputs: req.getObject()?.toJavaScript() ?? {},
            retainOnDelete: req.getRetainondelete() ?? false,
            dependencies: req.getDependenciesList(),
          });
        }
        callback(err, res);
      });

    process.env.SST_SERVER = server.url;
    const outputs = await pulumi.runtime.runInPulumiStack(async () => {
      const program = (await import(pathToFileURL(outfile).href)) as { default: unknown };
      return program.default;
    });
    // The stack's outputs can resolve before every resource is registered (SST creates some inside
    // `apply` callbacks, after RPC answers): wait, as Pulumi's language host does before it exits,
    // until registrations drain and nothing new starts.
    for (let seen = -1; seen !== resources.length || server.inFlight() > 0; ) {
      seen = resources.length;
      await pulumi.runtime.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return {
      app,
      cli,
      resources,
      invokes,
      rpc: server.calls,
      outputs: (outputs ?? {}) as Record<string, unknown>,
    };
  } finally {
    await server.close();
    rmSync(outfile, { force: true });
    rmSync(`${outfile}.map`, { force: true });
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getRetainondelete(): boolean | undefined;
  getDependenciesList(): string[];
}
interface RegisterResponse {
  getUrn(): string;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { stage: { type: "string", default: "dev" }, out: { type: "string" } },
  });
  const stage = values.stage ?? "dev";
  const result = await runOffline(stage);
  const out = values.out ?? join(root, ".sst", "offline", `${stage}.json`);
  writeFileSync(out, JSON.stringify(result, null, 1));
  console.log(out);
}
