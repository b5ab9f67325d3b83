import { fileURLToPath } from "node:url";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { loadConfig } from "@switchyard/core/config/index";
import { answerApproval } from "@switchyard/core/failover/approval";
import { startFailover } from "@switchyard/core/failover/operator";
import { LOCAL_NAMES, startControlPlane } from "../local/control-plane.ts";
import { transitions } from "../replay.ts";

export interface FailoverTransitions {
  unit: "transitions";
  run: string;
  /** States entered, as Step Functions bills them. */
  transitions: number;
  /** Step-function (Lambda) invocations the run made: the rest are AWS SDK integrations, Waits and Choices. */
  lambdaInvocations: number;
  status: string;
}

/**
 * State transitions of one failover of the Ignition example (every part, approval by a human),
 * of a console replay of it (every part skipped) and of a dry run (game day).
 */
export async function measureFailoverTransitions(): Promise<FailoverTransitions[]> {
  const config = await loadConfig(
    fileURLToPath(new URL("../../../../examples/ignition-failover/switchyard.config.ts", import.meta.url)),
  );
  const out: FailoverTransitions[] = [];
  for (const dryRun of [false, true]) {
    const plane = await startControlPlane(config);
    try {
      const stateMachineArn = plane.account.arn("states", `stateMachine:${LOCAL_NAMES.failoverStateMachine}`);
      const { executionArn } = await startFailover(plane.context, config, {
        runbook: "ignition",
        stateMachineArn,
        dryRun,
        by: "bench",
      });
      await plane.runOut();
      if (!dryRun) await answerApproval(plane.context, "ignition", { approve: true, by: "bench" });
      await plane.runOut();
      const first = plane.account.sfn.execution(executionArn);
      if (!first) throw new Error("bench: the failover did not start");
      const measure = (run: string, e: typeof first) => ({
        unit: "transitions" as const,
        run,
        transitions: transitions(e),
        lambdaInvocations:
          e.history.filter((h) => h.type === "TaskStateEntered" && h.stateName?.startsWith("Plan")).length +
          e.history.filter(
            (h) =>
              h.type === "TaskStateEntered" &&
              ["Validate", "Preflight", "WaitForApprovalToFailOver", "Verify", "Report"].includes(
                h.stateName ?? "",
              ),
          ).length,
        status: e.status,
      });
      out.push(measure(dryRun ? "dry run (game day)" : "failover, approved", first));
      if (dryRun) continue;
      await plane.clients.sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: "bench-replay", input: first.input }),
      );
      await plane.runOut();
      const replay = plane.account.sfn.executions().find((e) => e.name === "bench-replay");
      if (replay) out.push(measure("console replay (nothing to do)", replay));
    } finally {
      await plane.close();
    }
  }
  return out;
}
