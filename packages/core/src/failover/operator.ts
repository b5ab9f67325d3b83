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

type OperatorStart = { runbook: string; stateMachineArn: string; dryRun: boolean; by: string };
type Runbook = ReturnType<typeof findRunbook>;
type Common = Parameters<typeof runbookInput>[1];

/** Starts a runbook by hand (the `switchyard failover start` verb); a dry run plans every write and makes none. */
export function startFailover(
  deps: CoreDeps,
  config: Config,
  options: OperatorStart,
): Promise<{ executionArn: string; name: string }> {
  return startAudited(deps, config, options, {
    what: "failover",
    nameTag: "manual",
    decision: "started",
    detailType: `started by ${options.by}`,
    input: (runbook, common) => runbookInput(runbook, common),
  });
}

/** Starts failing a runbook back to its primary region (a planned operation, started by a human). */
export function startFailback(
  deps: CoreDeps,
  config: Config,
  options: OperatorStart,
): Promise<{ executionArn: string; name: string }> {
  return startAudited(deps, config, options, {
    what: "failback",
    nameTag: "failback",
    decision: "failback-started",
    detailType: `failback started by ${options.by}`,
    input: (runbook, common) => failbackInput(runbook, { account: config.account, ...common }),
  });
}

/**
 * Starts a failover or failback execution an operator asked for, named `<runbook>-<nameTag>-<now>`
 * with a manual trigger of that name, and audits who started it.
 */
async function startAudited(
  deps: CoreDeps,
  config: Config,
  options: OperatorStart,
  start: {
    what: "failover" | "failback";
    nameTag: string;
    decision: string;
    detailType: string;
    input: (runbook: Runbook, common: Common) => unknown;
  },
): Promise<{ executionArn: string; name: string }> {
  const runbook = findRunbook(config, options.runbook);
  const name = `${runbook.name}-${start.nameTag}-${deps.now().getTime()}`;
  const input = start.input(runbook, {
    notifyTopicArn: config.notifications.topicArn ?? null,
    dryRun: options.dryRun || config.safety.dryRun,
    trigger: { kind: "manual", eventId: name, source: "switchyard-cli", detailType: start.detailType },
  });
  const out = await awsStep(`start ${start.what}`, () =>
    deps.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: options.stateMachineArn,
        name,
        input: JSON.stringify(input),
      }),
    ),
  );
  const executionArn = out.executionArn ?? name;
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: start.decision,
    reason: `started by ${options.by}${options.dryRun ? " (dry run)" : ""}`,
    subject: runbook.name,
    executionArn,
  });
  return { executionArn, name };
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
