import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { Config } from "../config/schema.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { recordAudit } from "../store/state.ts";
import { failbackInput, runbookInput } from "./input.ts";
import { type FailoverRecord, readFailover } from "./records.ts";

/** The runbook of that name, or an error that lists the runbooks there are. */
export function findRunbook(config: Config, name: string) {
  const runbook = config.failover.runbooks.find((r) => r.name === name);
  if (!runbook) {
    const known = config.failover.runbooks.map((r) => r.name);
    throw new SwitchyardError(
      ErrorNames.ConfigError,
      `no runbook "${name}" in the config; ${known.length ? `runbooks: ${known.join(", ")}` : 'add one under "failover.runbooks"'}`,
    );
  }
  return runbook;
}

/** Starts a runbook by hand (the `switchyard failover start` verb); a dry run plans every write and makes none. */
export async function startFailover(
  deps: CoreDeps,
  config: Config,
  options: { runbook: string; stateMachineArn: string; dryRun: boolean; by: string },
): Promise<{ executionArn: string; name: string }> {
  const runbook = findRunbook(config, options.runbook);
  const name = `${runbook.name}-manual-${deps.now().getTime()}`;
  const input = runbookInput(runbook, {
    notifyTopicArn: config.notifications.topicArn ?? null,
    dryRun: options.dryRun || config.safety.dryRun,
    trigger: {
      kind: "manual",
      eventId: name,
      source: "switchyard-cli",
      detailType: `started by ${options.by}`,
    },
  });
  return startAudited(deps, {
    ...options,
    name,
    input,
    runbook: runbook.name,
    what: "failover",
    decision: "started",
  });
}

/** Starts failing a runbook back to its primary region (a planned operation, started by a human). */
export async function startFailback(
  deps: CoreDeps,
  config: Config,
  options: { runbook: string; stateMachineArn: string; dryRun: boolean; by: string },
): Promise<{ executionArn: string; name: string }> {
  const runbook = findRunbook(config, options.runbook);
  const name = `${runbook.name}-failback-${deps.now().getTime()}`;
  const input = failbackInput(runbook, {
    account: config.account,
    notifyTopicArn: config.notifications.topicArn ?? null,
    dryRun: options.dryRun || config.safety.dryRun,
    trigger: {
      kind: "manual",
      eventId: name,
      source: "switchyard-cli",
      detailType: `failback started by ${options.by}`,
    },
  });
  return startAudited(deps, {
    ...options,
    name,
    input,
    runbook: runbook.name,
    what: "failback",
    decision: "failback-started",
  });
}

/** Starts a failover or failback execution an operator asked for, and audits who started it. */
async function startAudited(
  deps: CoreDeps,
  start: {
    stateMachineArn: string;
    name: string;
    input: unknown;
    runbook: string;
    by: string;
    dryRun: boolean;
    what: "failover" | "failback";
    decision: string;
  },
): Promise<{ executionArn: string; name: string }> {
  const out = await awsStep(`start ${start.what}`, () =>
    deps.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: start.stateMachineArn,
        name: start.name,
        input: JSON.stringify(start.input),
      }),
    ),
  );
  const executionArn = out.executionArn ?? start.name;
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: start.decision,
    reason: `started by ${start.by}${start.dryRun ? " (dry run)" : ""}`,
    subject: start.runbook,
    executionArn,
  });
  return { executionArn, name: start.name };
}

/** What `switchyard failover status` shows: the pending approval and the last run's report. */
export async function failoverStatus(
  deps: CoreDeps,
  config: Config,
  runbook: string,
): Promise<FailoverRecord> {
  findRunbook(config, runbook);
  return (await readFailover(deps.store, runbook)) ?? { runbook };
}
