import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { type DeploymentRecord, recordAudit, settleDeployment } from "../store/state.ts";
import { type AliasState, describeAlias, readAlias, writeAlias } from "./alias.ts";

export type RollbackOutcome = "rolled-back" | "already-stable" | "stale";

/**
 * Puts the alias back to 100% on the deployment's stable version, and settles the deployment
 * record (only as the execution that owns it). The alias write is guarded by the RevisionId just
 * read and by the expected shape (stable primary + our new version, or fully on our new
 * version); anything else means newer work owns the alias, and we change nothing and say so.
 */
export async function rollBack(
  deps: CoreDeps,
  record: DeploymentRecord,
  why: {
    status: "rolled-back" | "failed" | "abandoned";
    reason: string;
    stopExecution: boolean;
    correlationId?: string;
    eventId?: string;
  },
  /** The alias as the caller just read it (saves a round trip on the alarm path). */
  read?: AliasState,
): Promise<{ outcome: RollbackOutcome; detail: string }> {
  const target = { functionName: record.functionName, alias: record.alias };
  const fence = { executionArn: record.executionArn, generation: record.generation };
  // A rollback advances the generation: every execution that read the old one is stale now.
  const settle = async (status: typeof why.status = why.status, reason = why.reason) => {
    if (!(await settleDeployment(deps.store, record.deployment, fence, status, reason, { advance: true }))) {
      logger.warn("deployment record not settled: another execution owns it now", {
        deployment: record.deployment,
      });
    }
  };
  let alias = read ?? (await readAlias(deps, record.functionName, record.alias));
  let outcome: RollbackOutcome = "stale";
  let unfenced = "";
  for (let attempt = 1; ; attempt++) {
    const midShift =
      alias.version === record.stableVersion && alias.additional?.version === record.newVersion;
    const fullyShifted = alias.version === record.newVersion && !alias.additional;
    const alreadyStable = alias.version === record.stableVersion && !alias.additional;
    if (!midShift && !fullyShifted && !alreadyStable) break;
    try {
      if (alreadyStable) {
        // Nothing to undo, so no hurry: settle first, then rewrite the alias anyway — its new
        // RevisionId fences off a shift step that read it before the record was settled.
        await settle();
        try {
          await writeAlias(deps, target, { version: record.stableVersion }, alias.revisionId);
        } catch (error) {
          const name = (error as Error).name;
          if (name === ErrorNames.PreconditionFailed || name === ErrorNames.Throttled) throw error;
          // The record is settled under a new generation, which already fences every step; the
          // rewrite only closes a shift's read-then-write window. AWS refusing it is reported
          // (audit, log, the caller's detail), and does not undo an abandon that took effect.
          unfenced = `; the alias rewrite that fences a racing shift step failed (${name}: ${(error as Error).message})`;
          logger.warn("alias rewrite after settling failed", { deployment: record.deployment, error: name });
        }
        outcome = "already-stable";
      } else {
        // Traffic is on the new version: the alias first, the bookkeeping after. A shift
        // step racing with us loses its RevisionId or finds a split it did not leave: stale.
        await writeAlias(deps, target, { version: record.stableVersion }, alias.revisionId);
        outcome = "rolled-back";
        await settle();
      }
      break;
    } catch (error) {
      // A shift wrote the alias between our read and our write, or Lambda throttled the write:
      // read it again and decide again. Whoever called (an operator verb, the rollback function,
      // a step) is putting traffic back on a known version: a throttle is not for them to handle.
      const name = (error as Error).name;
      if ((name !== ErrorNames.PreconditionFailed && name !== ErrorNames.Throttled) || attempt >= 3)
        throw error;
      alias = await readAlias(deps, record.functionName, record.alias);
    }
  }
  if (outcome === "stale" && record.status === "shifting") {
    // Someone else (a human, another tool) changed the alias: an observed foreign change.
    // The record is settled and fenced so nothing of this deployment writes again.
    await settle(
      "abandoned",
      `${why.reason}; alias ${record.functionName}:${record.alias} was changed outside this deployment (${describeAlias(alias)})`,
    );
  }
  const detail =
    outcome === "stale"
      ? `alias ${record.functionName}:${record.alias} serves ${describeAlias(alias)}, which is not this deployment's (stable ${record.stableVersion}, new ${record.newVersion}): left as it is`
      : `alias ${record.functionName}:${record.alias} on version ${record.stableVersion} (100%), was ${describeAlias(alias)}${unfenced}`;
  if (why.stopExecution) {
    try {
      await deps.clients.sfn.send(
        new StopExecutionCommand({
          executionArn: record.executionArn,
          error: why.status === "abandoned" ? "Abandoned" : "RolledBack",
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
