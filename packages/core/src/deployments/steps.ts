import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { notify } from "../notify/notify.ts";
import { logger } from "../observability/logger.ts";
import {
  advanceGeneration,
  automationPaused,
  claimDeployment,
  type DeploymentRecord,
  getScanResult,
  putScanWaiter,
  readDeployment,
  recordNewVersion,
  settleDeployment,
} from "../store/state.ts";
import { describeAlias, publishedBy, readAlias, versionDigest, writeAlias } from "./alias.ts";
import { analyseBeforeStep } from "./analysis.ts";
import { deployAudit } from "./audit.ts";
import { budgetVerdict, refuseOverBudget } from "./budget.ts";
import { approvalRollback, approvalTimedOut, awaitApproval } from "./gates.ts";
import { rolloutHeld } from "./hold.ts";
import { runTrafficHook, trafficHookFailed } from "./hooks.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";
import { promoteAfterSuccess } from "./promotion.ts";
import { rollBack, staleError } from "./rollback.ts";
import { judgeScan, scanSubjectOf } from "./scan-gate.ts";
import { stepCheckOf } from "./step-check.ts";
import { createVersionAlarms, deleteVersionAlarms } from "./version-alarms.ts";
import { startQueued, stateMachineOf } from "./watch.ts";

export type Step = (
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
) => Promise<Record<string, unknown> | null>;

const audit = deployAudit;

/** The fence this execution writes under: its execution and the generation its claim set. */
const fenceOf = (input: DeployInput, payload: DeployStepPayload) => ({
  executionArn: payload.execution,
  generation: input.generation + 1,
});

/**
 * The record says this execution owns the deployment, at the generation its claim set, and is
 * shifting; otherwise the execution is stale (a rollback, an operator, a change by hand or a
 * newer deployment moved the generation on) and must not write.
 */
async function ownRecord(deps: CoreDeps, input: DeployInput, payload: DeployStepPayload) {
  const record = await readDeployment(deps.store, input.deployment);
  const { generation } = fenceOf(input, payload);
  if (!record || record.executionArn !== payload.execution) {
    throw staleError(
      `deployment ${input.deployment} is now owned by ${record?.executionArn || "nobody"} (generation ${record?.generation ?? 0}), not this execution`,
    );
  }
  if (record.generation !== generation) {
    throw staleError(
      `deployment ${input.deployment} is at generation ${record.generation}, not the generation ${generation} this execution claimed: a rollback, an operator or a change by hand moved it on`,
    );
  }
  if (record.status !== "shifting") {
    throw staleError(
      `deployment ${input.deployment} is already ${record.status}${record.reason ? ` (${record.reason})` : ""}`,
    );
  }
  return record;
}

/**
 * Puts the alias back on the stable version as the execution that owns the deployment (stale
 * otherwise), settles the record with `status`, and notifies "DEPLOYMENT <subject>".
 */
async function undoOwned(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  status: "rolled-back" | "abandoned",
  reason: string,
  subject: string,
) {
  const record = await ownRecord(deps, input, payload);
  const out = await rollBack(deps, record, {
    status,
    reason,
    stopExecution: false,
    correlationId: input.correlationId,
    eventId: input.trigger.eventId,
  });
  if (out.outcome === "stale") throw staleError(out.detail);
  await deleteVersionAlarms(deps, input, input.deployment, record.newVersion);
  await notify(deps, input.notifyTopicArn, `Switchyard: ${input.deployment} ${subject}`, {
    deployment: input.deployment,
    reason,
    detail: out.detail,
  });
  return out;
}

/** What the steps other modules define (hooks.ts, gates.ts) get of this file: the fence, the audit, the undo. */
export interface StepKit {
  owned(): Promise<DeploymentRecord>;
  audit(decision: string, reason: string, details?: Record<string, unknown>): Promise<unknown>;
  undo(
    status: "rolled-back" | "abandoned",
    reason: string,
    subject: string,
  ): Promise<{ outcome: string; detail: string }>;
}

const kit = (deps: CoreDeps, input: DeployInput, payload: DeployStepPayload): StepKit => ({
  owned: () => ownRecord(deps, input, payload),
  audit: (decision, reason, details) => audit(deps, input, payload, decision, reason, details),
  undo: (status, reason, subject) => undoOwned(deps, input, payload, status, reason, subject),
});

/** Another execution is shifting this deployment: say so (audit + notification), then stop. */
async function inProgress(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  record: DeploymentRecord | undefined,
): Promise<never> {
  const reason = `deployment ${input.deployment} is already shifting (${record?.executionArn}); ${input.image.digest} was not deployed`;
  await audit(deps, input, payload, "superseded", reason);
  await notify(deps, input.notifyTopicArn, `Switchyard: deploy of ${input.deployment} not started`, {
    deployment: input.deployment,
    image: input.imageUri,
    reason,
  });
  throw new SwitchyardError(ErrorNames.DeploymentInProgress, reason);
}

/** The deploy state machine's Task actions, in the order an execution meets them. */
export const DEPLOY_ACTIONS = [
  "validate",
  "awaitScan",
  "scanBlocked",
  "prepare",
  "codeStatus",
  "publish",
  "shift",
  "finish",
  "rollback",
  "stale",
  "abandon",
  "runTrafficHook",
  "trafficHookFailed",
  "awaitApproval",
  "approvalTimedOut",
  "approvalRollback",
] as const;
export type DeployStepAction = (typeof DEPLOY_ACTIONS)[number];

/** What each action does, each on its own (the guarded `shift` below composes two of them). */
const eachStep: { readonly [A in DeployStepAction | "checkAlarms"]: Step } = {
  /** Input validation happens before any step; reaching here means the input is whole. */
  async validate() {
    return null;
  },

  async awaitScan(deps, input, payload) {
    const gate = input.scanGate;
    if (!gate || !payload.taskToken)
      throw new SwitchyardError(ErrorNames.InvalidInput, "awaitScan needs scanGate and a task token");
    const { repository, digest } = input.image;
    // The scan of the image the execution deploys: its URI names the registry (from the config).
    const subject = scanSubjectOf(input.imageUri);
    if (!subject)
      throw new SwitchyardError(ErrorNames.InvalidInput, `${input.imageUri} is not an ECR image URI`);
    // Register first, then look: a scan result that lands in between is seen by one side or the other.
    await putScanWaiter(deps.store, subject, payload.execution, payload.taskToken, gate.threshold);
    const scan = await getScanResult(deps.store, subject);
    if (scan) {
      const decision = judgeScan(scan, gate.threshold);
      try {
        await deps.clients.sfn.send(
          new SendTaskSuccessCommand({ taskToken: payload.taskToken, output: JSON.stringify(decision) }),
        );
      } catch (error) {
        // The scan-result function answered first: the token is closed, which is what we wanted.
        if ((error as Error).name !== "TaskTimedOut" && (error as Error).name !== "InvalidToken") throw error;
      }
      return { waiting: false };
    }
    logger.info("waiting for the image scan", { repository, digest });
    return { waiting: true };
  },

  async scanBlocked(deps, input, payload) {
    const scan = (input as { scan?: { reason?: string; severityCounts?: unknown } }).scan;
    const error = (input as { error?: { Error?: string } }).error;
    const reason =
      error?.Error === "States.Timeout"
        ? `no scan result for ${input.image.repository}@${input.image.digest} within ${input.scanGate?.timeoutSeconds} s`
        : (scan?.reason ?? "scan gate blocked the image");
    await audit(deps, input, payload, "blocked", reason, { severityCounts: scan?.severityCounts ?? null });
    await notify(
      deps,
      input.notifyTopicArn,
      `Switchyard: deploy of ${input.deployment} blocked by the scan gate`,
      {
        deployment: input.deployment,
        image: input.imageUri,
        reason,
      },
    );
    return null;
  },

  async prepare(deps, input, payload) {
    const alias = await readAlias(deps, input.functionName, input.alias);
    const record = await readDeployment(deps.store, input.deployment);
    const fence = fenceOf(input, payload);
    if (
      record?.executionArn === payload.execution &&
      record.generation === fence.generation &&
      record.status === "shifting"
    ) {
      // A retry or a redrive of this very execution: the version exists already, or the code
      // update has started (it is not sent twice when $LATEST already runs the image).
      if (record.newVersion !== "") return { outcome: "ready", newVersion: record.newVersion, resumed: true };
      return { ...(await codeUpdate(deps, input)), resumed: true };
    }
    const generation = record?.generation ?? 0;
    if (generation !== input.generation) {
      // Two pushes decided at once: the other one claimed first.
      if (record?.status === "shifting" && generation === input.generation + 1)
        return inProgress(deps, input, payload, record);
      throw staleError(
        `deployment ${input.deployment} is at generation ${generation}, not ${input.generation} as when this input was made: newer work (a claim, a rollback, an operator action or a change by hand) happened since; nothing changed`,
      );
    }
    if (alias.version !== input.stableVersion || alias.additional) {
      if (
        !alias.additional &&
        (await versionDigest(deps, input.functionName, alias.version)) === input.image.digest
      ) {
        await audit(
          deps,
          input,
          payload,
          "no-action",
          `alias already serves ${input.image.digest} (version ${alias.version})`,
        );
        return { outcome: "already-deployed", newVersion: alias.version };
      }
      if (record?.status === "shifting") return inProgress(deps, input, payload, record);
      // Nobody of ours moved the alias since the input was made: a foreign change. Fence it.
      const why = `alias ${input.functionName}:${input.alias} serves ${describeAlias(alias)}, not version ${input.stableVersion} as this execution expected`;
      await advanceGeneration(deps.store, input.deployment, generation, `observed: ${why}`);
      throw staleError(why);
    }
    await refuseOverBudget(deps, input);
    const control = await automationPaused(deps);
    if (input.dryRun || control.paused) {
      const plan = [
        `lambda:UpdateFunctionCode ${input.functionName} ImageUri=${input.imageUri}`,
        `lambda:PublishVersion ${input.functionName}`,
        ...input.steps.map(
          (s) =>
            `lambda:UpdateAlias ${input.functionName}:${input.alias} ${Math.round(s.weight * 100)}% → new version${s.pauseSeconds ? `, bake ${s.pauseSeconds} s` : ""}`,
        ),
      ];
      const why = input.dryRun
        ? "dry run"
        : `automation paused${control.reason ? `: ${control.reason}` : ""}`;
      await audit(
        deps,
        input,
        payload,
        input.dryRun ? "dry-run" : "no-action",
        `${why}: planned writes recorded, nothing changed`,
        { plan },
      );
      return { outcome: "dry-run", plan };
    }
    const base = {
      deployment: input.deployment,
      executionArn: payload.execution,
      functionName: input.functionName,
      alias: input.alias,
      stableVersion: input.stableVersion,
      imageUri: input.imageUri,
      status: "shifting" as const,
      startedAt: deps.now().toISOString(),
    };
    if (!(await claimDeployment(deps.store, { ...base, newVersion: "" }, input.generation))) {
      const current = await readDeployment(deps.store, input.deployment);
      if (current?.status === "shifting" && current.executionArn !== payload.execution)
        return inProgress(deps, input, payload, current);
      throw staleError(
        `deployment ${input.deployment} moved to generation ${current?.generation} before this execution could claim generation ${input.generation}: nothing changed`,
      );
    }
    return codeUpdate(deps, input);
  },

  /**
   * Where Lambda is with the code update: InProgress for a while after UpdateFunctionCode,
   * then Successful, or Failed with a reason (the previous code stays). A Failed update is
   * permanent: the deployment is abandoned with Lambda's reason.
   * https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
   */
  async codeStatus(deps, input, payload) {
    await ownRecord(deps, input, payload);
    const config = await awsStep("lambda:GetFunctionConfiguration", () =>
      deps.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: input.functionName })),
    );
    // The update was deferred behind one Lambda was still applying (a superseded deployment's):
    // until this execution has sent its own, wait for that one to end, then send ours.
    if (updateDeferred(input) && `sha256:${config.CodeSha256}` !== input.image.digest) {
      if (config.LastUpdateStatus === "InProgress") return { status: "InProgress", deferred: true };
      return { status: "InProgress", ...(await startUpdate(deps, input)) };
    }
    const status = String(config.LastUpdateStatus ?? "Successful");
    if (status === "Failed") {
      throw new SwitchyardError(
        ErrorNames.Permanent,
        `Lambda could not apply ${input.imageUri} to ${input.functionName}: ${config.LastUpdateStatusReason ?? "no reason given"}${config.LastUpdateStatusReasonCode ? ` (${config.LastUpdateStatusReasonCode})` : ""}`,
      );
    }
    return { status };
  },

  /**
   * Publishes the version once the update is Successful, pinned to the CodeSha256 and
   * RevisionId read after it completed (the RevisionId changes on completion), so a version is
   * published of exactly this image or not at all.
   */
  async publish(deps, input, payload) {
    const record = await ownRecord(deps, input, payload);
    if (record.newVersion !== "") return { outcome: "ready", newVersion: record.newVersion, resumed: true };
    const fn = await awsStep("lambda:GetFunction", () =>
      deps.clients.lambda.send(new GetFunctionCommand({ FunctionName: input.functionName })),
    );
    const config = fn.Configuration;
    if (config?.LastUpdateStatus === "InProgress")
      throw new SwitchyardError(
        ErrorNames.Throttled,
        `${input.functionName}: an update is still in progress`,
      );
    if (`sha256:${config?.CodeSha256}` !== input.image.digest) {
      throw staleError(
        `$LATEST of ${input.functionName} runs sha256:${config?.CodeSha256}, not ${input.image.digest}: another update replaced this one`,
      );
    }
    const published = await awsStep("lambda:PublishVersion", () =>
      deps.clients.lambda.send(
        new PublishVersionCommand({
          FunctionName: input.functionName,
          CodeSha256: config?.CodeSha256,
          RevisionId: config?.RevisionId,
          Description:
            `${publishedBy(input.deployment)}${input.image.digest} (event ${input.trigger.eventId})`.slice(
              0,
              256,
            ),
        }),
      ),
    );
    const newVersion = String(published.Version);
    if (newVersion === input.stableVersion) {
      await settleDeployment(
        deps.store,
        input.deployment,
        fenceOf(input, payload),
        "succeeded",
        "the image is already the stable version",
      );
      await audit(
        deps,
        input,
        payload,
        "no-action",
        `version ${newVersion} already runs ${input.image.digest}`,
      );
      return { outcome: "already-deployed", newVersion };
    }
    if (!(await recordNewVersion(deps.store, input.deployment, fenceOf(input, payload), newVersion)))
      throw staleError(
        `deployment ${input.deployment} moved on while version ${newVersion} was published: it takes no traffic`,
      );
    await audit(
      deps,
      input,
      payload,
      "started",
      `published version ${newVersion} of ${input.functionName} from ${input.imageUri}`,
      {
        stableVersion: input.stableVersion,
        newVersion,
        steps: input.steps,
      },
    );
    return { outcome: "ready", newVersion };
  },

  async checkAlarms(deps, input, payload) {
    const holdsLeft = input.alarmHold.maxChecks - input.progress.holds;
    const control = await automationPaused(deps);
    if (control.paused) {
      await audit(
        deps,
        input,
        payload,
        "held",
        `automation paused${control.reason ? `: ${control.reason}` : ""}`,
      );
      return { verdict: "hold", reason: "automation paused", holdsLeft };
    }
    // An operator's hold of this one rollout (pause DEPLOYMENT) holds until resumed, never abandons.
    const held = await rolloutHeld(deps, input.deployment, payload.execution);
    if (held) return { verdict: "hold", reason: held, holdsLeft: Math.max(1, holdsLeft) };
    const budget = await budgetVerdict(deps, input, holdsLeft);
    if (budget) return budget;
    if (input.alarms.length === 0) return { verdict: "ok", reason: "no guarding alarms", holdsLeft };
    const out = await awsStep("cloudwatch:DescribeAlarms", () =>
      deps.clients.cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: input.alarms,
          AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        }),
      ),
    );
    const states = new Map<string, string>();
    for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])])
      states.set(String(a.AlarmName), String(a.StateValue));
    // A composite alarm whose actions a suppressor holds back (muted) says so in
    // ActionsSuppressedBy (WaitPeriod | ExtensionPeriod | Alarm); metric alarms have no suppressor.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_CompositeAlarm.html
    const mutedBy = new Map<string, string>();
    for (const a of out.CompositeAlarms ?? [])
      if (a.ActionsSuppressedBy) mutedBy.set(String(a.AlarmName), String(a.ActionsSuppressedBy));
    const missing = input.alarms.filter((name) => !states.has(name));
    if (missing.length > 0) {
      // Bad input writes nothing: the state machine's Abandon step audits and notifies this reason.
      throw new SwitchyardError(
        ErrorNames.ConfigError,
        `alarm(s) ${missing.map((m) => `"${m}"`).join(", ")} do not exist: a missing alarm is never treated as OK; create it or remove it from deployments["${input.deployment}"].alarms`,
      );
    }
    const firing = input.alarms.filter((name) => states.get(name) === "ALARM");
    // Under suppressedAlarms "ignore", a muted alarm in ALARM neither blocks nor rolls back the
    // step (ADR 0020): the same decision the rollback function takes on its event (ADR 0014).
    const ignored = input.suppressedAlarms === "ignore" ? firing.filter((name) => mutedBy.has(name)) : [];
    const inAlarm = firing.filter((name) => !ignored.includes(name));
    const noData = input.alarms.filter((name) => states.get(name) === "INSUFFICIENT_DATA");
    const muted = (names: string[]) => names.map((name) => `${name} (suppressed by ${mutedBy.get(name)})`);
    if (inAlarm.length > 0) {
      const loud = inAlarm.filter((name) => !mutedBy.has(name));
      const reason =
        loud.length === inAlarm.length
          ? `alarm(s) in ALARM: ${inAlarm.join(", ")}`
          : `alarm(s) in ALARM: ${[...loud, ...muted(inAlarm.filter((n) => mutedBy.has(n)))].join(", ")}; muted alarms roll back too (suppressedAlarms "rollback")`;
      return { verdict: "alarm", reason, holdsLeft };
    }
    if (ignored.length > 0)
      await audit(
        deps,
        input,
        payload,
        "suppressed",
        `alarm(s) ${muted(ignored).join(", ")} in ALARM with actions suppressed, and ${input.deployment} has suppressedAlarms "ignore": step ${input.progress.index + 1} not held or rolled back`,
      );
    if (noData.length > 0) {
      const reason = `held: alarm(s) ${noData.join(", ")} in INSUFFICIENT_DATA`;
      await audit(
        deps,
        input,
        payload,
        "held",
        holdsLeft > 0 ? reason : `${reason}; gave up after ${input.alarmHold.maxChecks} checks`,
      );
      return { verdict: "hold", reason, holdsLeft };
    }
    return { verdict: "ok", reason: "all guarding alarms OK", holdsLeft };
  },

  async shift(deps, input, payload) {
    const step = input.steps[input.progress.index];
    if (!step)
      throw new SwitchyardError(
        ErrorNames.InvalidInput,
        `progress.index ${input.progress.index} is past the last step`,
      );
    const [record, alias] = await Promise.all([
      ownRecord(deps, input, payload),
      readAlias(deps, input.functionName, input.alias),
    ]);
    const target = { functionName: input.functionName, alias: input.alias };
    // The alias must be exactly where this execution left it (the previous step's split) or
    // already where this step puts it (a retry or redrive after the write). Anything else —
    // a rollback, a human, another deployment — owns the alias now: stop, change nothing.
    const previous = input.progress.index === 0 ? 0 : (input.steps[input.progress.index - 1]?.weight ?? 0);
    const split = (weight: number) =>
      weight === 0
        ? alias.version === input.stableVersion && !alias.additional
        : weight === 1
          ? alias.version === record.newVersion && !alias.additional
          : alias.version === input.stableVersion &&
            alias.additional?.version === record.newVersion &&
            alias.additional.weight === weight;
    const done = split(step.weight);
    if (!done && !split(previous)) {
      // An observed foreign change: settle and fence the record, leave the alias as it is.
      await settleDeployment(
        deps.store,
        input.deployment,
        fenceOf(input, payload),
        "abandoned",
        `alias changed outside this deployment: ${describeAlias(alias)}`,
        { advance: true },
      );
      throw staleError(
        `alias ${input.functionName}:${input.alias} serves ${describeAlias(alias)}, not the ${Math.round(previous * 100)}% on version ${record.newVersion} this execution left: someone else changed it`,
      );
    }
    const percent = Math.round(step.weight * 100);
    try {
      if (!done) {
        const next =
          step.weight === 1
            ? { version: record.newVersion }
            : {
                version: input.stableVersion,
                additional: { version: record.newVersion, weight: step.weight },
              };
        await writeAlias(deps, target, next, alias.revisionId);
      }
    } catch (error) {
      // The alias changed between our read and our write: whoever wrote it owns it now.
      if ((error as Error).name === ErrorNames.PreconditionFailed)
        throw staleError(
          `alias ${input.functionName}:${input.alias} changed while shifting: ${(error as Error).message}`,
        );
      throw error;
    }
    if (step.weight === 1) {
      await audit(deps, input, payload, "shifted", `100% on version ${record.newVersion}`);
      return { done: true, weight: 1, pauseSeconds: 0 };
    }
    await audit(
      deps,
      input,
      payload,
      "shifted",
      `${percent}% on version ${record.newVersion}, bake ${step.pauseSeconds} s`,
    );
    return { done: false, weight: step.weight, pauseSeconds: step.pauseSeconds };
  },

  async finish(deps, input, payload) {
    const record = await ownRecord(deps, input, payload);
    if (
      !(await settleDeployment(
        deps.store,
        input.deployment,
        fenceOf(input, payload),
        "succeeded",
        "100% shifted",
      ))
    )
      throw staleError(`deployment ${input.deployment} moved on before it was marked deployed`);
    await deleteVersionAlarms(deps, input, input.deployment, record.newVersion);
    await audit(
      deps,
      input,
      payload,
      "deployed",
      `version ${record?.newVersion} serves 100% of ${input.functionName}:${input.alias}`,
    );
    await notify(deps, input.notifyTopicArn, `Switchyard: ${input.deployment} deployed`, {
      deployment: input.deployment,
      version: record?.newVersion,
      image: input.imageUri,
    });
    // A push queued behind this deployment (onNewerImage "queue") starts now.
    await startQueued(deps, stateMachineOf(payload.execution), input.deployment, input.trigger.eventId);
    await promoteAfterSuccess(deps, input, payload);
    return { outcome: "deployed", newVersion: record?.newVersion };
  },

  async rollback(deps, input, payload) {
    const reason = String(stepCheckOf(input)?.reason ?? "guarding alarm in ALARM");
    const out = await undoOwned(deps, input, payload, "rolled-back", reason, "rolled back");
    return { outcome: out.outcome, detail: out.detail };
  },

  async abandon(deps, input, payload) {
    const record = await readDeployment(deps.store, input.deployment);
    const cause = (input as { error?: { Error?: string; Cause?: string } }).error;
    const check = stepCheckOf(input);
    const reason = cause
      ? `${cause.Error}: ${parseCause(cause.Cause ?? "")}`
      : (check?.reason ?? "the deployment could not go on");
    const fence = fenceOf(input, payload);
    const owned =
      record?.executionArn === fence.executionArn &&
      record.generation === fence.generation &&
      record.status === "shifting";
    if (!record || !owned) {
      await audit(deps, input, payload, "abandoned", `${reason}; no claim of this execution to undo`);
      await notify(deps, input.notifyTopicArn, `Switchyard: deploy of ${input.deployment} abandoned`, {
        deployment: input.deployment,
        image: input.imageUri,
        reason,
      });
      return { outcome: "nothing-to-undo" };
    }
    const out = await rollBack(deps, record, {
      status: "abandoned",
      reason,
      stopExecution: false,
      correlationId: input.correlationId,
      eventId: input.trigger.eventId,
    });
    await deleteVersionAlarms(deps, input, input.deployment, record.newVersion);
    await audit(deps, input, payload, "abandoned", `${reason}; ${out.detail}`);
    await notify(deps, input.notifyTopicArn, `Switchyard: ${input.deployment} abandoned`, {
      deployment: input.deployment,
      reason,
      detail: out.detail,
    });
    return { outcome: out.outcome, detail: out.detail };
  },

  /** Traffic hooks (hooks.ts) and approval gates (gates.ts), given this file's fence and audit. */
  runTrafficHook: (deps, input, payload) => runTrafficHook(deps, input, payload, kit(deps, input, payload)),
  trafficHookFailed: (deps, input, payload) => trafficHookFailed(input, kit(deps, input, payload)),
  awaitApproval: (deps, input, payload) => awaitApproval(deps, input, payload, kit(deps, input, payload)),
  approvalTimedOut: (deps, input, payload) => approvalTimedOut(deps, input, kit(deps, input, payload)),
  approvalRollback: (deps, input, payload) => approvalRollback(input, kit(deps, input, payload)),

  async stale(deps, input, payload) {
    const cause = parseCause((input as { error?: { Cause?: string } }).error?.Cause ?? "");
    await audit(deps, input, payload, "stale", cause);
    // A step that found the world moved on while this execution still holds its claim (e.g.
    // $LATEST replaced under it) must not leave the record shifting: restore and settle it.
    const record = await readDeployment(deps.store, input.deployment);
    const fence = fenceOf(input, payload);
    if (
      record?.executionArn === fence.executionArn &&
      record.generation === fence.generation &&
      record.status === "shifting"
    ) {
      await rollBack(deps, record, {
        status: "abandoned",
        reason: `stale: ${cause}`,
        stopExecution: false,
        correlationId: input.correlationId,
        eventId: input.trigger.eventId,
      });
      await deleteVersionAlarms(deps, input, input.deployment, record.newVersion);
    }
    return null;
  },
};

/** What each action does; the deploy unit (unit.ts) validates the payload and input first. */
const { checkAlarms, ...ownSteps } = eachStep;
export const deploySteps: { readonly [A in DeployStepAction]: Step } = {
  ...ownSteps,
  /**
   * One step, guarded: checks what must be clear before traffic moves (the guarding alarms,
   * the operator's holds, an approval due) and shifts only when it is; otherwise it returns the
   * verdict (alarm, hold, approval) and writes nothing. One Task per step instead of a check
   * Task and a shift Task: two state transitions fewer per step.
   */
  async shift(deps, input, payload) {
    const check = (await checkAlarms(deps, input, payload)) as { verdict: string; holdsLeft: number };
    const carried = analysisCarried(input);
    if (check.verdict !== "ok") return { ...check, ...carried };
    // Analysis of the new version (analysis.ts): no state of its own, one call here.
    const analysis = await analyseBeforeStep(deps, input, kit(deps, input, payload));
    if (analysis && analysis.verdict !== "ok") return { ...analysis, holdsLeft: check.holdsLeft };
    const counted = analysis ? { analysisFailures: analysis.analysisFailures } : carried;
    if (approvalDue(input))
      return {
        verdict: "approval",
        reason: `step ${input.progress.index + 1} waits for approval`,
        ...counted,
      };
    // The first shift gives the new version traffic: its own alarms exist before it does.
    if (input.progress.index === 0 && (input as { versionAlarms?: unknown[] }).versionAlarms?.length) {
      const record = await ownRecord(deps, input, payload);
      await createVersionAlarms(deps, input, record.newVersion);
    }
    return { verdict: "shifted", ...(await eachStep.shift(deps, input, payload)), ...counted };
  },
};

/** The failed-check count the previous step carried (analysis.ts), when the deployment has analysis. */
function analysisCarried(input: DeployInput): { analysisFailures?: number } {
  const count = (input as { shift?: { value?: { analysisFailures?: unknown } } }).shift?.value
    ?.analysisFailures;
  return typeof count === "number" ? { analysisFailures: count } : {};
}

/** An approval gate stands before this step and has not been answered for it (gates.ts). */
function approvalDue(input: DeployInput): boolean {
  const carried = input as { approvalGates?: { byStep?: unknown[] }; approval?: { index?: unknown } };
  return (
    carried.approvalGates?.byStep?.[input.progress.index] != null &&
    carried.approval?.index !== input.progress.index
  );
}

/**
 * How the state machine waits for a code update: every `pollSeconds` (a Wait state on the
 * clock, no busy loop), at most `maxChecks` times (5 minutes), then the deployment is abandoned.
 */
const CODE_UPDATE_POLL = { pollSeconds: 5, maxChecks: 60 } as const;

/**
 * Prepare's outcome once the claim is made: "updated" when $LATEST already runs the image with
 * its update Successful (the state machine publishes at once), else "updating" with the poll's
 * bounds and its counter at the first check (the state machine waits, then checks).
 */
async function codeUpdate(deps: CoreDeps, input: DeployInput) {
  const started = await startUpdate(deps, input);
  return {
    outcome: started.applied ? "updated" : "updating",
    ...CODE_UPDATE_POLL,
    codeUpdate: { checks: 1 },
    deferred: started.deferred,
  };
}

/** UpdateFunctionCode errors that no retry fixes: the deployment is abandoned with AWS's words. */
const PERMANENT_UPDATE_ERRORS = new Set([
  "InvalidParameterValueException",
  "ResourceNotFoundException",
  "CodeStorageExceededException",
  "CodeVerificationFailedException",
  "InvalidCodeSignatureException",
  "CodeSigningConfigNotFoundException",
  "RequestTooLargeException",
]);

/**
 * Whether this execution's code update still waits behind another one: the last code-status
 * poll said so, or (before the first poll) the prepare step did.
 */
function updateDeferred(input: DeployInput): boolean {
  const carried = input as {
    release?: { value?: { deferred?: unknown } };
    codeStatus?: { value?: { deferred?: unknown } };
  };
  return (carried.codeStatus?.value ?? carried.release?.value)?.deferred === true;
}

/**
 * Starts the code update of $LATEST, or defers it while Lambda still applies another update
 * (a superseded deployment's): Lambda refuses a second update with ResourceConflictException
 * until the first one ends, however long that takes, so the code-status poll (bounded, on the
 * clock) waits for it instead of the Lambda retry policy's few seconds.
 * https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html
 */
async function startUpdate(
  deps: CoreDeps,
  input: DeployInput,
): Promise<{ deferred: boolean; applied?: boolean }> {
  const deferred = (why: string) => {
    logger.info("another code update is in progress: this one waits for it", {
      digest: input.image.digest,
      why,
    });
    return { deferred: true };
  };
  const fn = await awsStep("lambda:GetFunction", () =>
    deps.clients.lambda.send(new GetFunctionCommand({ FunctionName: input.functionName })),
  );
  const config = fn.Configuration;
  if (`sha256:${config?.CodeSha256}` === input.image.digest && config?.LastUpdateStatus !== "Failed") {
    logger.info("$LATEST already runs the image: UpdateFunctionCode skipped", {
      digest: input.image.digest,
      lastUpdateStatus: config?.LastUpdateStatus,
    });
    return { deferred: false, applied: config?.LastUpdateStatus === "Successful" };
  }
  if (config?.LastUpdateStatus === "InProgress") return deferred("LastUpdateStatus InProgress");
  try {
    const sent = await awsStep("lambda:UpdateFunctionCode", async () => {
      try {
        await deps.clients.lambda.send(
          new UpdateFunctionCodeCommand({
            FunctionName: input.functionName,
            ImageUri: input.imageUri,
            RevisionId: config?.RevisionId,
          }),
        );
        return true;
      } catch (error) {
        // Another update began between our read and our write: wait for it too.
        if ((error as Error).name === "ResourceConflictException") return false;
        throw error;
      }
    });
    return sent ? { deferred: false } : deferred("ResourceConflictException");
  } catch (error) {
    const e = error as Error;
    if (PERMANENT_UPDATE_ERRORS.has(e.name))
      throw new SwitchyardError(ErrorNames.Permanent, `lambda:UpdateFunctionCode: ${e.name}: ${e.message}`);
    throw error;
  }
}

/** Lambda's error payload reaches the Catch as a JSON Cause: show its message. */
function parseCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
