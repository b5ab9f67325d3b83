import type { CoreDeps } from "../context.ts";
import { readItem } from "../store/state.ts";
import { stateTable } from "../store/table.ts";

/*
 * One rollout's operator hold (pause|resume DEPLOYMENT, ADR 0029): its item and the read the
 * deploy steps make before every step. Apart from operator.ts so that the deploy steps' bundle
 * does not carry the operator's verbs (a manual deploy's ECR and Step Functions calls, the trigger).
 */

export const holdKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: "hold",
});

export interface RolloutHold {
  readonly executionArn: string;
  readonly generation: number;
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

export function readHold(deps: CoreDeps, deployment: string): Promise<RolloutHold | undefined> {
  return readItem<RolloutHold>(deps.store, "read rollout hold", holdKey(deployment));
}

/**
 * Why this execution's rollout is held by an operator, or undefined. A hold names the one
 * execution (and generation) it was put on: it never holds a later rollout, and the deploy
 * steps read it before every step (checkAlarms).
 */
export async function rolloutHeld(
  deps: CoreDeps,
  deployment: string,
  executionArn: string,
): Promise<string | undefined> {
  const hold = await readHold(deps, deployment);
  if (!hold || hold.executionArn !== executionArn) return undefined;
  return `paused by ${hold.by}: ${hold.reason}`;
}
