import { SendTaskFailureCommand, SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { notify } from "../notify/notify.ts";
import { type DeploymentRecord, readDeployment, readItem, recordAudit } from "../store/state.ts";
import { expiresAfterDays, stateTable } from "../store/table.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";
import type { StepKit } from "./steps.ts";
import { ON_TIMEOUT } from "./vocabulary.ts";

/**
 * Manual approval gates (issue #12): a deployment may hold before a step until a human answers
 * `switchyard approve|deny DEPLOYMENT --reason …`, bounded by a timeout whose `onTimeout` rolls
 * back or goes on. The wait is a task token (`humanApproval` in the ASL kit); the token is kept
 * on an approval record with the execution and the generation it was asked under, so an answer
 * is taken once and only while that execution still owns the deployment at that generation: a
 * stale approval never moves traffic (docs/decisions/0027-traffic-hooks-and-approval-gates.md).
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */

/** The error a denied approval ends its wait with; the deploy state machine's Catch lists it. */
export const APPROVAL_DENIED = ErrorNames.ApprovalRejected;

const GateRun = z.object({
  step: z.number().int().min(1),
  timeoutSeconds: z.number().int().positive(),
  onTimeout: z.enum(ON_TIMEOUT),
});

/**
 * The deploy input's gate field: `approvalGates.byStep[i]` is the gate before step i + 1, or
 * null. Present only when the deployment has approvals, so others run the states they ran before.
 */
export function gateInput(
  approvals: Deployment["approvals"],
  stepCount: number,
): { approvalGates?: { byStep: (z.infer<typeof GateRun> | null)[] } } {
  if (!approvals || approvals.length === 0) return {};
  const byStep = Array.from({ length: stepCount }, (_, i) => {
    const gate = approvals.find((g) => g.beforeStep === i + 1);
    return gate ? { step: i + 1, timeoutSeconds: gate.timeout, onTimeout: gate.onTimeout } : null;
  });
  return { approvalGates: { byStep } };
}

const Check = z.object({ gate: GateRun });

/** The one approval record of a deployment: what waits, under which execution and generation. */
interface Waiting {
  readonly deployment: string;
  readonly executionArn: string;
  readonly generation: number;
  readonly step: number;
  readonly taskToken: string;
  readonly askedAt: string;
}

const approvalKey = (deployment: string) => ({
  [stateTable.partitionKey]: `deploy-approval#${deployment}`,
  [stateTable.sortKey]: "waiting",
});

/** The verbs that answer, exactly as the notification and the audit log show them. */
export const answerVerbs = (deployment: string) => ({
  approve: `switchyard approve ${deployment} --reason "…" (add --aws for the real account)`,
  deny: `switchyard deny ${deployment} --reason "…" (add --aws for the real account)`,
});

/**
 * `awaitApproval`: keeps the token on the deployment's approval record (write-ahead, under the
 * execution's fence) and tells a human how to answer. The wait itself is the task's.
 */
export async function awaitApproval(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  { owned, audit }: StepKit,
): Promise<Record<string, unknown>> {
  const { gate } = Check.parse((input as { approvalCheck?: unknown }).approvalCheck);
  if (!payload.taskToken)
    throw new SwitchyardError(ErrorNames.InvalidInput, "awaitApproval needs a task token");
  await owned();
  const waiting: Waiting = {
    deployment: input.deployment,
    executionArn: payload.execution,
    generation: input.generation + 1,
    step: gate.step,
    taskToken: payload.taskToken,
    askedAt: deps.now().toISOString(),
  };
  await awsStep("put approval", () =>
    deps.store.db.send(
      new PutCommand({
        TableName: deps.store.table,
        Item: {
          ...approvalKey(input.deployment),
          ...waiting,
          [stateTable.ttlAttribute]: expiresAfterDays(deps.now(), 400),
        },
      }),
    ),
  );
  const verbs = answerVerbs(input.deployment);
  const onTimeout = gate.onTimeout === "promote" ? "goes on to step" : "rolls back before step";
  const reason = `step ${gate.step} of ${input.steps.length} waits for approval; answer within ${gate.timeoutSeconds} s or it ${onTimeout} ${gate.step}`;
  await audit("awaiting-approval", reason, { ...verbs });
  await notify(deps, input.notifyTopicArn, `Switchyard: ${input.deployment} waits for approval`, {
    deployment: input.deployment,
    image: input.imageUri,
    reason,
    approve: verbs.approve,
    deny: verbs.deny,
  });
  return { waiting: gate.step };
}

/** Whether the execution that asked still owns the deployment, shifting, at the generation it asked under. */
const stillWaits = (waiting: Waiting, record: DeploymentRecord | undefined) =>
  record?.executionArn === waiting.executionArn &&
  record.generation === waiting.generation &&
  record.status === "shifting";

/**
 * The approval a deployment waits for now (the step, when it asked, under which execution), for
 * the dashboard's Approve and Deny buttons; undefined when nothing waits or the wait is stale.
 */
export async function waitingApproval(
  deps: CoreDeps,
  deployment: string,
): Promise<{ step: number; askedAt: string; executionArn: string } | undefined> {
  const waiting = await readItem<Waiting>(deps.store, "get approval", approvalKey(deployment));
  if (!waiting || !stillWaits(waiting, await readDeployment(deps.store, deployment))) return undefined;
  return { step: waiting.step, askedAt: waiting.askedAt, executionArn: waiting.executionArn };
}

/**
 * A human's answer (`switchyard approve|deny DEPLOYMENT --reason R`). Taken only while the
 * execution that asked still owns the deployment at the generation it asked under; the record
 * is deleted with a condition on its token first, so two answers never both count. Throws an
 * Error saying why when nothing waits or the wait is stale (then nothing is answered).
 */
export async function decideDeployApproval(
  deps: CoreDeps,
  deployment: string,
  decision: "approve" | "deny",
  by: string,
  reason: string,
): Promise<{ executionArn: string; step: number }> {
  // The record of an earlier wait (timed out, or its deployment moved on) may still be here:
  // the fence below finds it stale and nothing is answered.
  const waiting = await readItem<Waiting>(deps.store, "get approval", approvalKey(deployment));
  if (!waiting) throw new Error(`deployment ${deployment} is not waiting for approval`);
  const record = await readDeployment(deps.store, deployment);
  const take = async () => {
    try {
      await deps.store.db.send(
        new DeleteCommand({
          TableName: deps.store.table,
          Key: approvalKey(deployment),
          ConditionExpression: "taskToken = :t",
          ExpressionAttributeValues: { ":t": waiting.taskToken },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === "ConditionalCheckFailedException") return false;
      throw error;
    }
  };
  if (!stillWaits(waiting, record)) {
    await take();
    throw new Error(
      `the approval ${deployment} waited for is stale: the deployment is now ${record?.status ?? "unknown"} at generation ${record?.generation ?? 0} (asked under ${waiting.generation}); nothing was answered`,
    );
  }
  if (!(await take())) throw new Error(`the approval of ${deployment} was answered a moment ago`);
  const answer = { decision, by, reason, index: waiting.step - 1, generation: waiting.generation };
  try {
    if (decision === "approve")
      await deps.clients.sfn.send(
        new SendTaskSuccessCommand({ taskToken: waiting.taskToken, output: JSON.stringify(answer) }),
      );
    else
      await deps.clients.sfn.send(
        new SendTaskFailureCommand({
          taskToken: waiting.taskToken,
          error: APPROVAL_DENIED,
          cause: JSON.stringify(answer),
        }),
      );
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TaskTimedOut" || name === "InvalidToken" || name === "TaskDoesNotExist")
      throw new Error(`the approval of ${deployment} timed out before the answer: nothing was done`);
    throw error;
  }
  await recordAudit(deps.store, {
    reaction: "deploy",
    decision: decision === "approve" ? "approved" : "denied",
    reason: `${by} ${decision === "approve" ? "approved" : "denied"} step ${waiting.step}: ${reason}`,
    subject: deployment,
    executionArn: waiting.executionArn,
    details: { by, reason, step: waiting.step, generation: waiting.generation },
  });
  return { executionArn: waiting.executionArn, step: waiting.step };
}

/** `approvalTimedOut` with onTimeout "promote": audited and notified, then the step goes on. */
export async function approvalTimedOut(
  deps: CoreDeps,
  input: DeployInput,
  { owned, audit }: StepKit,
): Promise<Record<string, unknown>> {
  const { gate } = Check.parse((input as { approvalCheck?: unknown }).approvalCheck);
  await owned();
  const reason = `no answer to the approval of step ${gate.step} within ${gate.timeoutSeconds} s: onTimeout "promote" goes on`;
  await audit("approval-timed-out", reason);
  await notify(deps, input.notifyTopicArn, `Switchyard: ${input.deployment} approval timed out`, {
    deployment: input.deployment,
    reason,
  });
  return { index: gate.step - 1, decision: "timeout-promote" };
}

/** `approvalRollback`: denied, or timed out with onTimeout "rollback": back to the stable version. */
export async function approvalRollback(input: DeployInput, step: StepKit): Promise<Record<string, unknown>> {
  const check = Check.safeParse((input as { approvalCheck?: unknown }).approvalCheck);
  const gate = check.success ? check.data.gate.step : input.progress.index + 1;
  const error = (input as { error?: { Error?: string; Cause?: string } }).error;
  let reason = `no answer to the approval of step ${gate} in time (onTimeout "rollback")`;
  if (error?.Error === APPROVAL_DENIED) {
    const answer = parseAnswer(error.Cause);
    reason = `${answer.by ?? "someone"} denied step ${gate}: ${answer.reason ?? "no reason given"}`;
  }
  const out = await step.undo("rolled-back", reason, "rolled back at its approval gate");
  await step.audit("rolled-back", `${reason}; ${out.detail}`);
  return { outcome: "rolled-back", detail: out.detail };
}

function parseAnswer(cause: string | undefined): { by?: string; reason?: string } {
  try {
    return JSON.parse(cause ?? "{}") as { by?: string; reason?: string };
  } catch {
    return {};
  }
}
