import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { type DeploymentRecord, recordAudit, settleDeployment } from "../store/state.ts";
import { describeAlias, readAlias, writeAlias } from "./alias.ts";

export type RollbackOutcome = "rolled-back" | "already-stable" | "stale";

/**
 * Puts the alias back to 100% on the deployment's stable version. The record is settled
 * first (only by the execution that owns it), so a shift step racing with us sees that the
 * deployment is over and stops; the alias write is guarded by the RevisionId we just read and
 * by the expected shape (stable primary + our new version, or fully on our new version).
 * Anything else means newer work owns the alias: we change nothing and say so.
 */
export async function rollBack(
  deps: CoreDeps,
  record: DeploymentRecord,
  why: {
    status: "rolled-back" | "failed";
    reason: string;
    stopExecution: boolean;
    correlationId?: string;
    eventId?: string;
  },
): Promise<{ outcome: RollbackOutcome; detail: string }> {
  // Settling the record and reading the alias do not depend on each other: do both at once.
  const [settled, first] = await Promise.all([
    settleDeployment(deps.store, record.deployment, record.executionArn, why.status, why.reason),
    readAlias(deps, record.functionName, record.alias),
  ]);
  if (!settled) {
    return { outcome: "stale", detail: `deployment ${record.deployment} is now owned by another execution` };
  }
  const target = { functionName: record.functionName, alias: record.alias };
  let alias = first;
  let outcome: RollbackOutcome = "stale";
  for (let attempt = 1; ; attempt++) {
    const midShift =
      alias.version === record.stableVersion && alias.additional?.version === record.newVersion;
    const fullyShifted = alias.version === record.newVersion && !alias.additional;
    const alreadyStable = alias.version === record.stableVersion && !alias.additional;
    if (!midShift && !fullyShifted && !alreadyStable) break;
    try {
      // Written even when already stable: the new RevisionId fences off a shift step that read
      // the alias before the record was settled and is about to write it.
      await writeAlias(deps, target, { version: record.stableVersion }, alias.revisionId);
      outcome = alreadyStable ? "already-stable" : "rolled-back";
      break;
    } catch (error) {
      // A shift wrote the alias between our read and our write: read it again and decide again.
      if ((error as Error).name !== ErrorNames.PreconditionFailed || attempt >= 3) throw error;
      alias = await readAlias(deps, record.functionName, record.alias);
    }
  }
  const detail =
    outcome === "stale"
      ? `alias ${record.functionName}:${record.alias} serves ${describeAlias(alias)}, which is not this deployment's (stable ${record.stableVersion}, new ${record.newVersion}): left as it is`
      : `alias ${record.functionName}:${record.alias} on version ${record.stableVersion} (100%), was ${describeAlias(alias)}`;
  if (why.stopExecution) {
    try {
      await deps.clients.sfn.send(
        new StopExecutionCommand({
          executionArn: record.executionArn,
          error: "RolledBack",
          cause: why.reason.slice(0, 32_000),
        }),
      );
    } catch (error) {
      // The execution may have ended on its own; the alias is what matters and it is settled.
      logger.warn("could not stop the deploy execution", {
        executionArn: record.executionArn,
        error: (error as Error).name,
      });
    }
  }
  await recordAudit(deps.store, {
    reaction: "rollback",
    decision: outcome,
    reason: `${why.reason}; ${detail}`,
    subject: record.deployment,
    executionArn: record.executionArn,
    ...(why.correlationId ? { correlationId: why.correlationId } : {}),
    ...(why.eventId ? { eventId: why.eventId } : {}),
  });
  logger.info(`rollback: ${outcome}`, { deployment: record.deployment, detail });
  return { outcome, detail };
}

export function staleError(message: string): SwitchyardError {
  return new SwitchyardError(ErrorNames.Stale, message);
}
