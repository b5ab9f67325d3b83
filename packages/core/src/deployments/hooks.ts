import { InvokeCommand } from "@aws-sdk/client-lambda";
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";
import type { StepKit } from "./steps.ts";
import { PROBE_RETRY_MS, probeSeconds } from "./vocabulary.ts";

/**
 * Traffic hooks (issue #12), with CodeDeploy's semantics for Lambda deployments: a
 * `BeforeAllowTraffic` hook runs after the new version is published and before any traffic
 * reaches it; an `AfterAllowTraffic` hook runs once 100% is on it. Each hook runs once per
 * deployment and reports Succeeded or Failed within its timeout; a failure (or no report in
 * time) before traffic abandons the deployment with the alias untouched, after traffic rolls
 * back. https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
 *
 * A hook is a Lambda function (invoked asynchronously with the deployment and a hook execution
 * id, as CodeDeploy invokes it) or an HTTP probe that the deploy-steps function runs itself.
 * Both are one task-token wait of the deploy state machine (docs/decisions/0027-traffic-hooks-and-approval-gates.md).
 */

export const HOOK_PHASES = ["BeforeAllowTraffic", "AfterAllowTraffic"] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

/** The error a failed hook ends its task with; the deploy state machine's Catch lists it. */
export const HOOK_FAILED = ErrorNames.HookFailed;

/** One hook as the deploy input carries it (self-contained: a console replay runs the same hook). */
export const HookRun = z.object({
  phase: z.enum(HOOK_PHASES),
  name: z.string().min(1),
  timeoutSeconds: z.number().int().positive(),
  lambda: z.object({ function: z.string().min(1) }).optional(),
  http: z
    .object({
      url: z.string().min(1),
      expectedStatus: z.number().int(),
      bodyMatch: z.string().nullable(),
      timeoutSeconds: z.number().positive(),
      retries: z.number().int().min(0),
    })
    .optional(),
});
export type HookRun = z.infer<typeof HookRun>;

/**
 * The deploy input's hook fields: present only when the deployment has hooks of that phase, so
 * a deployment without hooks runs exactly the states it ran before (the Choice rules that enter
 * the hooks test for their presence).
 */
export function hookInput(hooks: Deployment["hooks"]): {
  preTrafficHooks?: HookRun[];
  postTrafficHooks?: HookRun[];
} {
  const runs = (phase: HookPhase, list: NonNullable<Deployment["hooks"]>["beforeAllowTraffic"]): HookRun[] =>
    list.map((hook) =>
      "lambda" in hook
        ? {
            phase,
            name: `lambda ${hook.lambda.function}`,
            timeoutSeconds: hook.lambda.timeout,
            lambda: { function: hook.lambda.function },
          }
        : {
            phase,
            name: `http ${hook.http.url}`,
            // The probe answers its own token; the wait only needs to outlast its attempts.
            timeoutSeconds: Math.ceil(probeSeconds(hook.http)) + 30,
            http: {
              url: hook.http.url,
              expectedStatus: hook.http.expectedStatus,
              bodyMatch: hook.http.bodyMatch ?? null,
              timeoutSeconds: hook.http.timeout,
              retries: hook.http.retries,
            },
          },
    );
  const pre = runs("BeforeAllowTraffic", hooks?.beforeAllowTraffic ?? []);
  const post = runs("AfterAllowTraffic", hooks?.afterAllowTraffic ?? []);
  return {
    ...(pre.length > 0 ? { preTrafficHooks: pre } : {}),
    ...(post.length > 0 ? { postTrafficHooks: post } : {}),
  };
}

/** Where the deploy state machine is in a phase's hooks (`$.hookRun`). */
const HookCursor = z.object({ index: z.number().int().min(0), end: z.number().int(), hook: HookRun });

/** What a Lambda hook receives: CodeDeploy's two fields, and what Switchyard adds to test the new version. */
export interface HookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
  readonly Switchyard: {
    readonly lifecycleEvent: HookPhase;
    readonly functionName: string;
    readonly alias: string;
    readonly newVersion: string;
    readonly stableVersion: string;
  };
}

/**
 * The callback a Lambda hook calls to report, as CodeDeploy's PutLifecycleEventHookExecutionStatus
 * (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_PutLifecycleEventHookExecutionStatus.html):
 * the hook execution id is the task token of the deploy state machine's wait, so the report
 * answers exactly that wait (SendTaskSuccess / SendTaskFailure,
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
 * A report after the wait ended (timed out, the deployment rolled back) changes nothing: Step
 * Functions refuses a closed token, and this says so. The hook's role needs
 * states:SendTaskSuccess and states:SendTaskFailure on the deploy state machine.
 */
export async function putLifecycleEventHookExecutionStatus(
  sfn: SFNClient,
  report: { deploymentId: string; lifecycleEventHookExecutionId: string; status: "Succeeded" | "Failed" },
): Promise<{ accepted: boolean; detail: string }> {
  const { deploymentId, lifecycleEventHookExecutionId: taskToken, status } = report;
  if (status !== "Succeeded" && status !== "Failed")
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `status must be "Succeeded" or "Failed", got ${JSON.stringify(status)}`,
    );
  try {
    if (status === "Succeeded")
      await sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ status, deploymentId }) }),
      );
    else
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: HOOK_FAILED,
          cause: `the hook of deployment ${deploymentId} reported Failed`,
        }),
      );
    return { accepted: true, detail: `${status} recorded for deployment ${deploymentId}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TaskTimedOut" || name === "InvalidToken" || name === "TaskDoesNotExist")
      return {
        accepted: false,
        detail: `the hook of deployment ${deploymentId} no longer waits (${name}): the report changed nothing`,
      };
    throw error;
  }
}

/** One HTTP probe: the expected status and body within the timeout, up to 1 + retries attempts. */
export async function probe(
  http: NonNullable<HookRun["http"]>,
  fetchImpl: typeof fetch = fetch,
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  const match = http.bodyMatch === null ? undefined : new RegExp(http.bodyMatch);
  let detail = "";
  for (let attempt = 1; attempt <= http.retries + 1; attempt++) {
    try {
      const response = await fetchImpl(http.url, {
        signal: AbortSignal.timeout(http.timeoutSeconds * 1000),
        redirect: "manual",
      });
      const body = await response.text();
      if (response.status !== http.expectedStatus)
        detail = `status ${response.status}, expected ${http.expectedStatus}`;
      else if (match && !match.test(body)) detail = `body did not match /${http.bodyMatch}/`;
      else return { ok: true, detail: `status ${response.status}`, attempts: attempt };
    } catch (error) {
      const e = error as Error;
      detail =
        e.name === "TimeoutError" ? `no answer within ${http.timeoutSeconds} s` : `${e.name}: ${e.message}`;
    }
    if (attempt <= http.retries) await new Promise((r) => setTimeout(r, PROBE_RETRY_MS));
  }
  return { ok: false, detail, attempts: http.retries + 1 };
}

/**
 * `runTrafficHook`: starts the hook at the cursor. A Lambda hook is invoked asynchronously
 * (InvocationType Event, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html) and
 * answers the token itself; an HTTP probe runs here and its result answers the token. Only the
 * execution that owns the deployment at its generation runs a hook (`owned` checks the fence).
 */
export async function runTrafficHook(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  { owned, audit }: StepKit,
): Promise<Record<string, unknown>> {
  const cursor = HookCursor.parse((input as { hookRun?: unknown }).hookRun);
  const { hook } = cursor;
  const token = payload.taskToken;
  if (!token) throw new SwitchyardError(ErrorNames.InvalidInput, "runTrafficHook needs a task token");
  const record = await owned();
  if (hook.lambda) {
    const event: HookEvent = {
      DeploymentId: input.deployment,
      LifecycleEventHookExecutionId: token,
      Switchyard: {
        lifecycleEvent: hook.phase,
        functionName: input.functionName,
        alias: input.alias,
        newVersion: record.newVersion,
        stableVersion: input.stableVersion,
      },
    };
    await awsStep("lambda:InvokeFunction", () =>
      deps.clients.lambda.send(
        new InvokeCommand({
          FunctionName: hook.lambda?.function,
          InvocationType: "Event",
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      ),
    );
    await audit(
      "hook-started",
      `${hook.phase} hook ${hook.name} invoked; waits up to ${hook.timeoutSeconds} s`,
    );
    return { started: hook.name };
  }
  if (!hook.http)
    throw new SwitchyardError(ErrorNames.InvalidInput, `hook ${hook.name} has no lambda or http`);
  const result = await probe(hook.http);
  await audit(
    result.ok ? "hook-passed" : "hook-failed",
    `${hook.phase} probe ${hook.name}: ${result.detail} after ${result.attempts} attempt(s)`,
  );
  const out = await putLifecycleEventHookExecutionStatus(deps.clients.sfn, {
    deploymentId: input.deployment,
    lifecycleEventHookExecutionId: token,
    status: result.ok ? "Succeeded" : "Failed",
  });
  if (!out.accepted) logger.warn("probe result not taken", { detail: out.detail });
  return { probed: hook.name, ok: result.ok };
}

/**
 * `trafficHookFailed`: a hook reported Failed or did not report in time. Before traffic the
 * alias still serves the stable version alone: the deployment is abandoned (the alias is
 * rewritten to the same stable version, which fences off a step that read it). After traffic
 * the alias goes back to the stable version: rolled back. Fenced like every rollback.
 */
export async function trafficHookFailed(input: DeployInput, step: StepKit): Promise<Record<string, unknown>> {
  const cursor = HookCursor.safeParse((input as { hookRun?: unknown }).hookRun);
  const error = (input as { error?: { Error?: string } }).error;
  const hook = cursor.success ? cursor.data.hook : undefined;
  const phase: HookPhase = hook?.phase ?? "BeforeAllowTraffic";
  const why =
    error?.Error === "States.Timeout"
      ? `did not report within ${hook?.timeoutSeconds} s`
      : error?.Error === HOOK_FAILED
        ? "reported Failed"
        : `failed: ${error?.Error ?? "unknown error"}`;
  const reason = `${phase} hook ${hook?.name ?? "?"} ${why}`;
  const status = phase === "BeforeAllowTraffic" ? "abandoned" : "rolled-back";
  const out = await step.undo(status, reason, `${status} by a traffic hook`);
  await step.audit(status, `${reason}; ${out.detail}`, { phase, hook: hook?.name ?? null });
  return { outcome: status, phase, detail: out.detail };
}
