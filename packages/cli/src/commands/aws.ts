import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createAllClients } from "@switchyard/core/aws/all-clients";
import type { AnyClient, AwsClients } from "@switchyard/core/aws/clients";
import { attachDryRun, type PlannedWrite } from "@switchyard/core/aws/dry-run";
import type { Config } from "@switchyard/core/config/index";
import { stateTable } from "@switchyard/core/store/table";
import type { StateMachineName } from "@switchyard/core/wiring";
import { names } from "../../../../stacks/plan/names.ts";
import type { OpsTarget } from "../ops.ts";
import { Failure, str, UsageError, type VerbFlags } from "./kit.ts";

/**
 * `--aws`: the real account, with the usual credential chain (`--profile` picks a profile), in
 * the config's region. Where the stack is comes from, in order: `--table`/`--stage`; SST's
 * `.sst/outputs.json` (the stack's outputs `stateTable` and `stateMachines`, written by
 * `sst deploy`); SWITCHYARD_TABLE (the variable the functions read); SST's `.sst/stage`. With a
 * stage, every name follows from the config and the stage, as the stack builds them
 * (stacks/plan/names.ts).
 */

export interface StackOutputs {
  stateTable: string;
  /** By state machine name (deploy, cost-response, rotate-on-leak, failover, failback). */
  stateMachines: Partial<Record<StateMachineName, string>>;
  /** How they were found, for messages. */
  from: string;
}

export interface AwsTarget extends OpsTarget {
  readonly clients: AwsClients;
  readonly stack: StackOutputs;
}

/** Applies --profile and checks --region before any client exists. */
export function useAwsFlags(config: Config, flags: VerbFlags): { region: string } {
  const profile = str(flags.profile);
  if (profile) process.env.AWS_PROFILE = profile;
  const region = str(flags.region);
  if (region && region !== config.region)
    throw new UsageError(
      `--region ${region} is not the config's region (${config.region}): Switchyard acts only where its config says; ` +
        `set "region" in the config, or use the config of the stack in ${region}`,
    );
  return { region: config.region };
}

function readOutputs(dir: string): Record<string, unknown> | undefined {
  const file = join(dir, ".sst", "outputs.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${file} is not JSON (${(error as Error).message}): run \`sst deploy\` again`);
  }
}

function byStage(config: Config, stage: string, from: string): StackOutputs {
  const n = names(config, stage);
  const machines: StateMachineName[] = ["deploy", "cost-response", "rotate-on-leak", "failover", "failback"];
  return {
    stateTable: n.table.name,
    stateMachines: Object.fromEntries(machines.map((m) => [m, n.stateMachineArn(m)])),
    from,
  };
}

/** Where the stack's table and state machines are (see above); a usage error when nothing says. */
export function findStack(config: Config, flags: VerbFlags, dir = process.cwd()): StackOutputs {
  const stage = str(flags.stage);
  const table = str(flags.table);
  if (stage) {
    const found = byStage(config, stage, `stage ${stage}`);
    return table ? { ...found, stateTable: table, from: `--table and stage ${stage}` } : found;
  }
  const outputs = readOutputs(dir);
  if (outputs && typeof outputs.stateTable === "string") {
    const machines = (outputs.stateMachines ?? {}) as Record<string, string>;
    return {
      stateTable: table ?? outputs.stateTable,
      stateMachines: machines,
      from: ".sst/outputs.json",
    };
  }
  const named = table ?? process.env[stateTable.envVar];
  if (named) return { stateTable: named, stateMachines: {}, from: table ? "--table" : stateTable.envVar };
  const stageFile = join(dir, ".sst", "stage");
  if (existsSync(stageFile)) {
    const saved = readFileSync(stageFile, "utf8").trim();
    if (saved) return byStage(config, saved, `stage ${saved} (.sst/stage)`);
  }
  throw new UsageError(
    "--aws needs to know which stack: pass --stage STAGE (the stage you gave `sst deploy`), or run in the app's " +
      "directory after `sst deploy` (it writes .sst/outputs.json), or pass --table NAME",
  );
}

/** A state machine's ARN from the stack, or a usage error saying how to name the stage. */
export function machineArn(stack: StackOutputs, name: StateMachineName): string {
  const arn = stack.stateMachines[name];
  if (!arn)
    throw new UsageError(
      `the ${name} state machine is not known from ${stack.from}: pass --stage STAGE (the stage you gave \`sst deploy\`)`,
    );
  return arn;
}

/** The real account as an operations target. */
export function connectAws(config: Config, flags: VerbFlags, options: { dryRun?: boolean } = {}): AwsTarget {
  const { region } = useAwsFlags(config, flags);
  const stack = findStack(config, flags);
  const plan: PlannedWrite[] | undefined = options.dryRun ? [] : undefined;
  const clients = createAllClients({
    region,
    ...(plan ? { attach: (client: AnyClient) => attachDryRun(client, plan) } : {}),
  });
  const now = () => new Date();
  return {
    clients,
    stack,
    deps: { clients, store: { db: clients.dynamodb, table: stack.stateTable, now }, now },
    where: `AWS account ${config.account} (region ${region}, table ${stack.stateTable} from ${stack.from})${plan ? ", dry run" : ""}`,
    ...(plan ? { plan } : {}),
    close: async () => undefined,
  };
}

/**
 * DynamoDB says only "Requested resource not found": on a target found by name, that is the
 * state table of a stage that was never deployed here.
 */
export function missingTable(error: unknown, target: OpsTarget): Failure | undefined {
  const e = error as { name?: string; message?: string };
  if (!("stack" in target) || e.name !== "ResourceNotFoundException") return undefined;
  if (!/^Requested resource not found/.test(e.message ?? "")) return undefined;
  const { stack } = target as AwsTarget;
  return new Failure(
    `the state table ${stack.stateTable} (from ${stack.from}) does not exist in this account and region: ` +
      "deploy the stack (docs/deploying.md), or name the deployed stage with --stage",
  );
}
