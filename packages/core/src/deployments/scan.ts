import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps, ReactionResult } from "../context.ts";
import type { ImageScanResult } from "../events/parse.ts";
import { logger } from "../observability/logger.ts";
import { listScanWaiters, putScanResult, recordAudit } from "../store/state.ts";
import { judgeScan, type Severity } from "./scan-gate.ts";

/**
 * A scan finished (ECR basic scanning or Amazon Inspector): remember the result, and answer
 * every deployment waiting for this digest with the gate's decision. A deployment that starts
 * waiting after this finds the stored result itself.
 */
export async function onImageScan(
  deps: CoreDeps,
  scan: ImageScanResult,
  eventId: string,
): Promise<ReactionResult> {
  const severityCounts = Object.fromEntries(
    Object.entries(scan.severityCounts).filter(([, v]) => typeof v === "number"),
  ) as Record<string, number>;
  await putScanResult(deps.store, scan.repository, scan.digest, {
    scanner: scan.scanner,
    status: scan.status,
    severityCounts,
    at: deps.now().toISOString(),
  });
  const waiters = await listScanWaiters(deps.store, scan.repository, scan.digest);
  const answered: string[] = [];
  for (const waiter of waiters) {
    const decision = judgeScan({ ...scan, severityCounts }, waiter.threshold as Severity);
    try {
      await deps.clients.sfn.send(
        new SendTaskSuccessCommand({ taskToken: waiter.taskToken, output: JSON.stringify(decision) }),
      );
      answered.push(waiter.executionArn);
    } catch (error) {
      // A closed token means that deployment already has its answer (or ended): nothing to do.
      if ((error as Error).name !== "TaskTimedOut" && (error as Error).name !== "InvalidToken") throw error;
      logger.info("scan waiter already answered", { executionArn: waiter.executionArn });
    }
  }
  const reason = `${scan.scanner} scan of ${scan.repository}@${scan.digest}: ${scan.status}; answered ${answered.length} waiting deployment(s)`;
  await recordAudit(deps.store, {
    reaction: "scan-result",
    decision: "recorded",
    reason,
    eventId,
    correlationId: eventId,
    details: { severityCounts },
  });
  return {
    reaction: "scan-result",
    outcome: answered.length > 0 ? "answered" : "recorded",
    reason,
    executions: answered,
  };
}
