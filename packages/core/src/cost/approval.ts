import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { recordAudit } from "../store/state.ts";
import { readResponse, updateResponse } from "./record.ts";

export type ApprovalDecision = "approve" | "deny";

/**
 * A human's answer to a destructive cost action waiting for approval (`switchyard approve|deny
 * <anomalyId>`). The token is taken off the response record with a condition before it is
 * answered, so two answers never both count. Throws an Error saying why when nothing waits.
 */
export async function decideApproval(
  deps: CoreDeps,
  anomalyId: string,
  decision: ApprovalDecision,
  by: string,
): Promise<{ executionArn: string }> {
  const record = await readResponse(deps.store, anomalyId);
  if (!record) throw new Error(`no cost response for anomaly ${anomalyId}`);
  const token = record.approvalToken;
  if (!token || record.status !== "open") {
    throw new Error(
      `the response to anomaly ${anomalyId} is not waiting for approval (tier ${record.tier}, ${record.status})`,
    );
  }
  const took = await updateResponse(
    deps.store,
    anomalyId,
    { remove: ["approvalToken"] },
    { ifToken: { field: "approvalToken", value: token } },
  );
  if (!took) throw new Error(`the approval of anomaly ${anomalyId} was answered a moment ago`);
  try {
    await deps.clients.sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision, by }) }),
    );
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TaskTimedOut" || name === "InvalidToken")
      throw new Error(`the approval of anomaly ${anomalyId} timed out before the answer: nothing was done`);
    throw error;
  }
  await recordAudit(deps.store, {
    reaction: "cost",
    decision: decision === "approve" ? "approved" : "denied",
    reason: `${by} ${decision === "approve" ? "approved" : "denied"} tier ${record.tier} of anomaly ${anomalyId}`,
    subject: anomalyId,
    executionArn: record.executionArn,
  });
  return { executionArn: record.executionArn };
}
