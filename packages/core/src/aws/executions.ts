import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";

/**
 * Whether the execution exists: a delivered-again event finds the execution its first delivery
 * started (execution names derive from event ids). DescribeExecution answers
 * ExecutionDoesNotExist for one that does not.
 */
export async function executionExists(
  deps: Pick<CoreDeps, "clients">,
  executionArn: string,
): Promise<boolean> {
  try {
    await deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return true;
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") return false;
    throw error;
  }
}

/**
 * Starts the execution `name` of `stateMachineArn` with `input` (JSON text): its ARN, or undefined
 * when an execution of that name exists already (ExecutionAlreadyExists: a repeated delivery, a
 * racing start, a second start of one anomaly or runbook trigger). Any other error is thrown. A
 * Standard workflow's same name with the same input while it runs is idempotent, and answers that
 * execution's ARN. Execution names are how every reaction makes its start idempotent.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (both
 * modelled in packages/sim/src/services/sfn.ts).
 */
export async function startExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: string,
): Promise<string | undefined> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    return String(out.executionArn);
  } catch (error) {
    if ((error as Error).name === "ExecutionAlreadyExists") return undefined;
    throw error;
  }
}
