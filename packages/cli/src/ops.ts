import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { AnyClient } from "@switchyard/core/aws/clients";
import { attachDryRun, type PlannedWrite } from "@switchyard/core/aws/dry-run";
import type { Config } from "@switchyard/core/config/index";
import type { CoreDeps } from "@switchyard/core/context";
import { type AliasState, describeAlias, readAlias, writeAlias } from "@switchyard/core/deployments/alias";
import { analysisStatus } from "@switchyard/core/deployments/analysis";
import { budgetStatus } from "@switchyard/core/deployments/budget";
import { rollBack } from "@switchyard/core/deployments/rollback";
import { rollBackTo } from "@switchyard/core/deployments/rollback-to";
import { startHeldQueued, startQueued, stateMachineOf } from "@switchyard/core/deployments/watch";
import {
  type AuditRecord,
  type DeploymentRecord,
  listAudit,
  readControl,
  readDeployment,
  recordAudit,
  settleDeployment,
  writeControl,
} from "@switchyard/core/store/state";
import { type ControlPlane, startControlPlane } from "./local/control-plane.ts";

/** Where the operations verbs act: the simulated account (default) or a real one (`--aws`). */
export interface OpsTarget {
  readonly deps: CoreDeps;
  readonly where: string;
  /** With --dry-run: the writes that were not sent. */
  readonly plan?: PlannedWrite[];
  close(): Promise<void>;
}

export class OpsError extends Error {}

/**
 * The simulated account seeded from the config, for the operations verbs without `--aws` (a real
 * account is commands/aws.ts's `connectAws`). It lives as long as the command: local mode shows
 * what the verbs do.
 */
export async function connectLocal(config: Config, options: { dryRun?: boolean } = {}): Promise<OpsTarget> {
  const plan: PlannedWrite[] | undefined = options.dryRun ? [] : undefined;
  const attach = plan ? (client: AnyClient) => attachDryRun(client, plan) : undefined;
  const dry = plan ? ", dry run" : "";
  // The config holds no secret values: the simulated account makes some up, so status can read them.
  const plane: ControlPlane = await startControlPlane(config, {
    generateSecretValues: true,
    ...(attach ? { attach } : {}),
  });
  return {
    deps: plane.context,
    where: `the simulated account (seeded from the config; it lasts as long as this command)${dry}`,
    ...(plan ? { plan } : {}),
    close: () => plane.close(),
  };
}

export interface DeploymentStatus {
  deployment: string;
  alias: string;
  serving: string;
  record?: DeploymentRecord;
  /** The latest deployment's last analysis results, newest first (ADR 0026). */
  analysis?: string[];
  alarms: Record<string, string>;
  /** The error budget's burn-rate alarms and the deploy freeze (deployments/budget.ts). */
  budget?: Awaited<ReturnType<typeof budgetStatus>>;
}

export interface Status {
  where: string;
  paused: boolean;
  pausedReason?: string;
  deployments: DeploymentStatus[];
}

export async function status(config: Config, target: OpsTarget): Promise<Status> {
  const { deps } = target;
  const names = [...new Set(config.deployments.flatMap((d) => d.alarms))];
  const [control, alarms, deployments] = await Promise.all([
    readControl(deps.store),
    names.length === 0
      ? Promise.resolve(new Map<string, string>())
      : deps.clients.cloudwatch
          .send(
            new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
          )
          .then(
            (out) =>
              new Map(
                [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])].map((a) => [
                  String(a.AlarmName),
                  String(a.StateValue),
                ]),
              ),
          ),
    Promise.all(
      config.deployments.map(async (d) => {
        const [alias, record, budget] = await Promise.all([
          readAlias(deps, d.function, d.alias),
          readDeployment(deps.store, d.name),
          budgetStatus(deps, d),
        ]);
        // The new version's last analysis results (analysis.ts), when the deployment has analysis.
        const analysis =
          d.analysis && record ? await analysisStatus(deps.store, d.name, record.executionArn) : [];
        return { d, alias, record, analysis, budget };
      }),
    ),
  ]);
  return {
    where: target.where,
    paused: control.paused,
    ...(control.reason ? { pausedReason: control.reason } : {}),
    deployments: deployments.map(({ d, alias, record, analysis, budget }) => ({
      deployment: d.name,
      alias: `${d.function}:${d.alias}`,
      serving: describeAlias(alias),
      ...(record ? { record } : {}),
      ...(analysis.length ? { analysis: analysis.map((a) => `${a.decision}: ${a.reason}`) } : {}),
      alarms: Object.fromEntries(d.alarms.map((a) => [a, alarms.get(a) ?? "MISSING"])),
      ...(budget ? { budget } : {}),
    })),
  };
}

export async function history(target: OpsTarget, limit: number): Promise<AuditRecord[]> {
  return listAudit(target.deps.store, { limit });
}

/**
 * The kill switch: pause or resume all automation, audited with who and why. Resuming with the
 * config also starts the pushes that were held queued while automation was paused (ADR 0020);
 * returns the executions it started.
 */
export async function setPaused(
  target: OpsTarget,
  paused: boolean,
  reason: string,
  by: string,
  config?: Config,
): Promise<string[]> {
  await writeControl(target.deps.store, { paused, reason, by });
  await recordAudit(target.deps.store, {
    reaction: "operator",
    decision: paused ? "paused" : "resumed",
    reason: `${by}: ${reason}`,
  });
  return !paused && config ? startHeldQueued(target.deps, config) : [];
}

/** After an operator settled a deployment, a push queued behind it starts (as when its execution ends). */
async function startQueuedAfter(config: Config, target: OpsTarget, record: DeploymentRecord) {
  if (!record.executionArn) return "";
  const arn = await startQueued(
    { ...target.deps, config },
    stateMachineOf(record.executionArn),
    record.deployment,
    undefined,
  );
  return arn ? `; the queued push started as ${arn.split(":").at(-1)}` : "";
}

function deploymentOf(config: Config, name: string) {
  const d = config.deployments.find((x) => x.name === name);
  if (!d)
    throw new OpsError(
      `no deployment "${name}" in the config; deployments: ${config.deployments.map((x) => x.name).join(", ")}`,
    );
  return d;
}

/** The deployment's record, for a deployment the config names (an error listing them otherwise). */
async function recordOf(config: Config, target: OpsTarget, name: string) {
  deploymentOf(config, name);
  return readDeployment(target.deps.store, name);
}

/** Operator rollback: the alias back on the stable version of the current or last deployment. */
export async function operatorRollback(
  config: Config,
  target: OpsTarget,
  name: string,
  reason: string,
  by: string,
) {
  const record = await recordOf(config, target, name);
  // Any shifting record, stuck ones included (no version published yet, an execution gone):
  // the alias goes back to stable if it is this deployment's, and the record is settled.
  if (
    !record ||
    !(record.status === "shifting" || (record.status === "succeeded" && record.newVersion !== ""))
  ) {
    throw new OpsError(
      `deployment "${name}" has no shifting or succeeded deployment to roll back (${record?.status ?? "no record"})`,
    );
  }
  const out = await rollBack(target.deps, record, {
    status: "rolled-back",
    reason: `operator rollback by ${by}: ${reason}`,
    stopExecution: record.status === "shifting",
  });
  return { ...out, detail: out.detail + (await startQueuedAfter(config, target, record)) };
}

/**
 * Operator rollback to a named version (`rollback DEPLOYMENT --to VERSION`): only a version
 * Switchyard published for the deployment, or its recorded stable one (ADR 0020). A refusal
 * is an OpsError naming the fix; nothing was changed then.
 */
export async function operatorRollbackTo(
  config: Config,
  target: OpsTarget,
  name: string,
  version: string,
  reason: string,
  by: string,
) {
  const out = await rollBackTo(target.deps, deploymentOf(config, name), config, version, { reason, by });
  if (out.outcome === "refused") throw new OpsError(out.detail);
  return out;
}

/** Operator promote: skip the remaining bake and put 100% on the new version now. */
export async function operatorPromote(
  config: Config,
  target: OpsTarget,
  name: string,
  reason: string,
  by: string,
) {
  const d = deploymentOf(config, name);
  const { deps } = target;
  const record = await readDeployment(deps.store, name);
  if (record?.status !== "shifting" || record.newVersion === "") {
    throw new OpsError(
      `deployment "${name}" is not shifting traffic (${record?.status ?? "no record"}): nothing to promote`,
    );
  }
  const alias: AliasState = await readAlias(deps, d.function, d.alias);
  const ours =
    (alias.version === record.stableVersion && alias.additional?.version === record.newVersion) ||
    (alias.version === record.newVersion && !alias.additional);
  if (!ours)
    throw new OpsError(
      `alias ${d.function}:${d.alias} serves ${describeAlias(alias)}, not this deployment's split: left as it is`,
    );
  await writeAlias(
    deps,
    { functionName: d.function, alias: d.alias },
    { version: record.newVersion },
    alias.revisionId,
  );
  // The operator's decision advances the generation: the execution in flight is stale now.
  if (
    !(await settleDeployment(deps.store, name, record, "succeeded", `promoted by ${by}: ${reason}`, {
      advance: true,
    }))
  )
    throw new OpsError(`deployment "${name}" changed while it was promoted; run status and decide again`);
  await deps.clients.sfn
    .send(
      new StopExecutionCommand({
        executionArn: record.executionArn,
        error: "Promoted",
        cause: `promoted by ${by}: ${reason}`,
      }),
    )
    .catch(() => undefined);
  await recordAudit(deps.store, {
    reaction: "operator",
    decision: "promoted",
    reason: `${by}: ${reason}; 100% on version ${record.newVersion}`,
    subject: name,
    executionArn: record.executionArn,
  });
  return {
    outcome: "promoted",
    detail: `alias ${d.function}:${d.alias} on version ${record.newVersion} (100%)${await startQueuedAfter(config, target, record)}`,
  };
}

/**
 * Operator abandon: give up on a shifting deployment, stuck or not. The alias goes back to the
 * stable version when the split is this deployment's (left alone otherwise), the execution is
 * stopped, the record settled as abandoned and its generation advanced.
 */
export async function operatorAbandon(
  config: Config,
  target: OpsTarget,
  name: string,
  reason: string,
  by: string,
) {
  const record = await recordOf(config, target, name);
  if (record?.status !== "shifting") {
    throw new OpsError(
      `deployment "${name}" is not shifting (${record?.status ?? "no record"}): nothing to abandon`,
    );
  }
  const out = await rollBack(target.deps, record, {
    status: "abandoned",
    reason: `abandoned by ${by}: ${reason}`,
    stopExecution: true,
  });
  await recordAudit(target.deps.store, {
    reaction: "operator",
    decision: "abandoned",
    reason: `${by}: ${reason}; ${out.detail}`,
    subject: name,
    executionArn: record.executionArn,
  });
  return { outcome: "abandoned", detail: out.detail + (await startQueuedAfter(config, target, record)) };
}
