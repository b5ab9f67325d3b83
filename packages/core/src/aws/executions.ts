import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
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
