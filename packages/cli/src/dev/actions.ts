import type { Config } from "@switchyard/core/config/index";
import type { TriggerDeps } from "@switchyard/core/context";
import { decideApproval } from "@switchyard/core/cost/approval";
import { decideDeployApproval } from "@switchyard/core/deployments/gates";
import { operateDeployment } from "@switchyard/core/deployments/operator";
import { answerApproval } from "@switchyard/core/failover/approval";
import { startFailback, startFailover } from "@switchyard/core/failover/operator";
import {
  type OpsTarget,
  operatorAbandon,
  operatorPromote,
  operatorRollback,
  operatorRollbackTo,
  setPaused,
} from "../ops.ts";
import type { OperatorAction } from "./journal.ts";

export type ActionResult =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string };

/** The failover and failback state machines' ARNs, asked for only by the actions that start one. */
export interface Machines {
  failover(): string;
  failback(): string;
  /** The context one deployment's operator actions start executions from, where the target has one. */
  trigger?(): TriggerDeps;
}

/**
 * Takes one operator action on a target (a dev control plane, or a real account from
 * `switchyard ui --aws --allow-actions`), as the verbs of the same names do. A failure the
 * operator can act on (nothing waits, the deployment moved on) is a result, not a crash: on a dev
 * control plane the same input fails the same way on every replay of the journal.
 */
export async function takeAction(
  config: Config,
  target: OpsTarget,
  machines: Machines,
  action: OperatorAction,
): Promise<ActionResult> {
  const { deps } = target;
  try {
    switch (action.do) {
      case "pause":
      case "resume":
        await setPaused(target, action.do === "pause", action.reason, action.by, config);
        return { ok: true, result: { paused: action.do === "pause" } };
      case "rollback":
        return {
          ok: true,
          result: action.to
            ? await operatorRollbackTo(config, target, action.deployment, action.to, action.reason, action.by)
            : await operatorRollback(config, target, action.deployment, action.reason, action.by),
        };
      case "promote":
        return {
          ok: true,
          result: await operatorPromote(config, target, action.deployment, action.reason, action.by),
        };
      case "abandon":
        return {
          ok: true,
          result: await operatorAbandon(config, target, action.deployment, action.reason, action.by),
        };
      case "approve":
      case "deny":
        return { ok: true, result: await decideApproval(deps, action.anomaly, action.do, action.by) };
      case "deploy-approve":
      case "deploy-deny":
        return {
          ok: true,
          result: await decideDeployApproval(
            deps,
            action.deployment,
            action.do === "deploy-approve" ? "approve" : "deny",
            action.by,
            action.reason,
          ),
        };
      case "failover-start":
      case "failback-start": {
        const failover = action.do === "failover-start";
        return {
          ok: true,
          result: await (failover ? startFailover : startFailback)(deps, config, {
            runbook: action.runbook,
            stateMachineArn: failover ? machines.failover() : machines.failback(),
            dryRun: action.dryRun,
            by: action.by,
          }),
        };
      }
      case "deployment": {
        const trigger = machines.trigger?.();
        if (!trigger)
          return {
            ok: false,
            error: `switchyard ${action.verb} DEPLOYMENT is not available here; run it from the CLI`,
          };
        return { ok: true, result: await operateDeployment(trigger, action) };
      }
      case "failover-approve":
      case "failover-deny":
        return {
          ok: true,
          result: await answerApproval(deps, action.runbook, {
            approve: action.do === "failover-approve",
            by: action.by,
          }),
        };
    }
  } catch (error) {
    if (error instanceof Error) return { ok: false, error: error.message };
    throw error;
  }
}
