import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { DescribeExecutionCommand, RedriveExecutionCommand } from "@aws-sdk/client-sfn";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Deployment } from "../config/index.ts";
import type { ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import { imageRegistry } from "../provenance.ts";
import { automationPaused, readDeployment, recordAudit } from "../store/state.ts";
import { unfreeze } from "./budget.ts";
import { holdKey, type RolloutHold, readHold, rolloutHeld } from "./hold.ts";
import {
  BREAK_GLASS_DEPLOY,
  type DeployNoticeKind,
  deployNotice,
  MANUAL_DEPLOY,
  noticeTargets,
  OPERATOR_SOURCE,
} from "./notify.ts";
import { rollBack } from "./rollback.ts";
import { startDeployments } from "./trigger.ts";

/**
 * Operator control of one deployment (issue #12, ADR 0029): start one by hand (`deploy`),
 * break-glass, hold and release one rollout (`pause|resume DEPLOYMENT`), redrive a failed one
 * (`retry`) and roll one back (`abort`). Every refusal is an `OperatorRefusal` whose message
 * names the cause and the fix; nothing was written then.
 */
export class OperatorRefusal extends Error {
  override name = "OperatorRefusal";
}

/** Who asked and why: every operator action carries both into the audit log. */
export interface OperatorAsk {
  readonly by: string;
  readonly reason: string;
}

function deploymentOf(config: TriggerDeps["config"], name: string): Deployment {
  const d = config.deployments.find((x) => x.name === name);
  if (!d)
    throw new OperatorRefusal(
      `no deployment "${name}" in the config; deployments: ${config.deployments.map((x) => x.name).join(", ")}`,
    );
  return d;
}

/** An operator's decision on one rollout: audited, then notified with the deployment's timeline. */
async function told(
  deps: TriggerDeps,
  name: string,
  what: { decision: string; kind: DeployNoticeKind; audit: string; notice: string; executionArn: string },
) {
  await recordAudit(deps.store, {
    reaction: "operator",
    decision: what.decision,
    reason: what.audit,
    subject: name,
    executionArn: what.executionArn,
  });
  await deployNotice(deps, noticeTargets(deps.config, name), {
    kind: what.kind,
    deployment: name,
    reason: what.notice,
    executionArn: what.executionArn,
  });
}

// ---- one rollout's hold (pause|resume DEPLOYMENT) ---------------------------------------------

/** One conditional write on the hold; a lost condition means another operator acted meanwhile. */
async function holdWrite(name: string, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException")
      throw new OperatorRefusal(
        `deployment "${name}" was paused or resumed meanwhile: run status and decide again`,
      );
    throw error;
  }
}

/**
 * Holds the rollout in flight before its next step. Fenced: the hold names the execution and
 * generation the record carries now, written only if no hold exists or the one there is for
 * an older rollout (a conditional PutItem); pausing twice is a no-op.
 */
export async function pauseRollout(deps: TriggerDeps, name: string, ask: OperatorAsk) {
  deploymentOf(deps.config, name);
  const record = await readDeployment(deps.store, name);
  if (record?.status !== "shifting")
    throw new OperatorRefusal(
      `deployment "${name}" has no rollout in flight (${record?.status ?? "no record"}): nothing to pause; to stop all automation use \`switchyard pause --reason …\` without a deployment`,
    );
  const existing = await readHold(deps, name);
  if (existing?.executionArn === record.executionArn)
    return { outcome: "already-paused", detail: `${name} is already paused (${existing.reason})` };
  const hold: RolloutHold = {
    executionArn: record.executionArn,
    generation: record.generation,
    by: ask.by,
    reason: ask.reason,
    at: deps.now().toISOString(),
  };
  await holdWrite(name, () =>
    deps.store.db.send(
      new PutCommand({
        TableName: deps.store.table,
        Item: { ...holdKey(name), ...hold },
        ConditionExpression: "attribute_not_exists(executionArn) OR executionArn = :seen",
        ExpressionAttributeValues: { ":seen": existing?.executionArn ?? "" },
      }),
    ),
  );
  const execution = record.executionArn.split(":").at(-1);
  await told(deps, name, {
    decision: "rollout-paused",
    kind: "paused",
    audit: `${ask.by}: ${ask.reason}; ${execution} holds before its next step`,
    notice: `${ask.by}: ${ask.reason}`,
    executionArn: record.executionArn,
  });
  return {
    outcome: "paused",
    detail: `${execution} holds before its next step; resume with \`switchyard resume ${name} --reason …\``,
  };
}

/** Lifts a rollout's hold (conditional on the hold read: a DeleteItem naming its execution). */
export async function resumeRollout(deps: TriggerDeps, name: string, ask: OperatorAsk) {
  deploymentOf(deps.config, name);
  const hold = await readHold(deps, name);
  if (!hold) return { outcome: "not-paused", detail: `${name} is not paused: nothing to resume` };
  await holdWrite(name, () =>
    deps.store.db.send(
      new DeleteCommand({
        TableName: deps.store.table,
        Key: holdKey(name),
        ConditionExpression: "executionArn = :seen",
        ExpressionAttributeValues: { ":seen": hold.executionArn },
      }),
    ),
  );
  await told(deps, name, {
    decision: "rollout-resumed",
    kind: "resumed",
    audit: `${ask.by}: ${ask.reason}`,
    notice: `${ask.by}: ${ask.reason}`,
    executionArn: hold.executionArn,
  });
  return { outcome: "resumed", detail: `${hold.executionArn.split(":").at(-1)} goes on at its next check` };
}

// ---- deploy by hand, and break-glass ---------------------------------------------------------

export interface ManualDeploy extends OperatorAsk {
  /** An image URI of the deployment's repository, by tag or by digest. */
  readonly image?: string;
  readonly tag?: string;
  readonly breakGlass?: boolean;
  /** Break-glass while the rollout is paused. */
  readonly force?: boolean;
}

/**
 * The digest to deploy, from ECR (provenance: the repository is the config's, never the
 * operator's text alone). https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 */
async function resolveImage(deps: TriggerDeps, d: Deployment, ask: ManualDeploy) {
  const repository = d.image?.repository;
  if (!repository)
    throw new OperatorRefusal(
      `deployment "${d.name}" names no image repository: add "image": { "repository": … } to it`,
    );
  const registry = imageRegistry(deps.config);
  let ref: { imageTag: string } | { imageDigest: string };
  if (ask.tag !== undefined) ref = { imageTag: ask.tag };
  else {
    const uri = String(ask.image);
    const prefix = `${registry.registry}.dkr.ecr.${registry.region}.amazonaws.com/${repository}`;
    const m = /^(.+?)(?:@(sha256:[0-9a-f]{64})|:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))$/.exec(uri);
    if (!m || m[1] !== prefix)
      throw new OperatorRefusal(
        `--image ${uri} is not an image of ${d.name}'s repository: give ${prefix}:TAG or ${prefix}@sha256:…, or --tag TAG`,
      );
    ref = m[2] ? { imageDigest: m[2] } : { imageTag: String(m[3]) };
  }
  try {
    const out = await awsStep("ecr:DescribeImages", () =>
      deps.clients.ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [ref] })),
    );
    const digest = out.imageDetails?.[0]?.imageDigest;
    if (!digest)
      throw new OperatorRefusal(`no image ${repository} ${JSON.stringify(ref)} in ECR: push it first`);
    return { ...registry, repository, ...("imageTag" in ref ? { tag: ref.imageTag } : {}), digest };
  } catch (error) {
    const name = (error as Error).name;
    if (name === "ImageNotFoundException" || name === "RepositoryNotFoundException")
      throw new OperatorRefusal(
        `no image ${repository}${"imageTag" in ref ? `:${ref.imageTag}` : `@${ref.imageDigest}`} in ECR: push it first, or name another tag`,
      );
    throw error;
  }
}

/**
 * Starts a deployment by hand through the same path as an event (provenance, duplicate and
 * newer-image policy, action budget, the fence). Its event id derives from the record's
 * generation and the digest, so running the same command twice starts one execution.
 * Break-glass: one step to 100%, no scan gate and no alarm checks, supersedes a rollout in
 * flight, needs a reason, is audited and notified loudly; refused while the rollout is paused
 * unless forced, and always while the kill switch is on (the kill switch stays: ADR 0029).
 */
export async function manualDeploy(
  deps: TriggerDeps,
  name: string,
  ask: ManualDeploy,
): Promise<ReactionResult> {
  const configured = deploymentOf(deps.config, name);
  if ((ask.image === undefined) === (ask.tag === undefined))
    throw new OperatorRefusal("deploy needs exactly one of --image URI or --tag TAG");
  if (ask.breakGlass && !ask.reason.trim())
    throw new OperatorRefusal(
      '--break-glass needs --reason "…": it goes into the audit log and the notification',
    );
  const control = await automationPaused(deps);
  if (control.paused)
    throw new OperatorRefusal(
      `automation is paused${control.reason ? ` (${control.reason})` : ""}: no deployment starts, break-glass included; \`switchyard resume --reason …\` first`,
    );
  const record = await readDeployment(deps.store, name);
  const hold = record?.status === "shifting" ? await rolloutHeld(deps, name, record.executionArn) : undefined;
  if (hold && ask.breakGlass && !ask.force)
    throw new OperatorRefusal(
      `deployment "${name}" is ${hold}: break-glass would supersede the held rollout; add --force to do it anyway, or resume it first`,
    );
  const image = await resolveImage(deps, configured, ask);
  const detailType = ask.breakGlass ? BREAK_GLASS_DEPLOY : MANUAL_DEPLOY;
  const deployment: Deployment = ask.breakGlass
    ? {
        ...configured,
        steps: [{ weight: 1, pauseSeconds: 0 }],
        alarms: [],
        gates: {},
        onNewerImage: "supersede",
      }
    : configured;
  const kind = ask.breakGlass ? "break-glass" : "manual";
  const event: BusEvent = {
    version: "0",
    id: `${kind}-${record?.generation ?? 0}-${image.digest.slice(7, 19)}`,
    source: OPERATOR_SOURCE,
    account: deps.config.account,
    region: deps.config.region,
    time: deps.now().toISOString(),
    resources: [],
    "detail-type": detailType,
    detail: { by: ask.by, reason: ask.reason },
  };
  const subject = `${kind} deploy by ${ask.by} (${ask.reason})`;
  if (ask.breakGlass)
    await recordAudit(deps.store, {
      reaction: "operator",
      decision: "break-glass",
      reason: `${ask.by}: ${ask.reason}; ${image.repository}@${image.digest} straight to 100%, gates and alarm checks skipped${hold ? `, forced past: ${hold}` : ""}`,
      subject: name,
      eventId: event.id,
      correlationId: event.id,
    });
  const out = await startDeployments(deps, event, subject, [{ deployment, image }]);
  if (ask.breakGlass)
    await deployNotice(deps, noticeTargets(deps.config, name), {
      kind: "break-glass",
      deployment: name,
      reason: `${ask.by}: ${ask.reason}`,
      image: `${image.repository}@${image.digest}`,
      ...(out.executions[0] ? { executionArn: out.executions[0] } : {}),
    });
  return out;
}

// ---- retry (redrive) and abort ----------------------------------------------------------------

/**
 * Redrives the failed execution of a deployment's rollout from its failed state
 * (RedriveExecution: not RUNNING, not SUCCEEDED, within 14 days of its end).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
 * Fenced: only while the record still names that execution, at the generation it claimed, as
 * shifting (it failed in place, ADR 0010); a settled record would make the redrive stale anyway.
 */
export async function retryRollout(deps: TriggerDeps, name: string, ask: OperatorAsk) {
  deploymentOf(deps.config, name);
  const record = await readDeployment(deps.store, name);
  if (!record?.executionArn)
    throw new OperatorRefusal(
      `deployment "${name}" has no execution to retry: start one with \`switchyard deploy ${name} --tag TAG\``,
    );
  if (record.status !== "shifting")
    throw new OperatorRefusal(
      `deployment "${name}" is ${record.status}${record.reason ? ` (${record.reason})` : ""}: a redrive would end stale; start a new one with \`switchyard deploy ${name} --tag TAG\``,
    );
  const described = await awsStep("states:DescribeExecution", () =>
    deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: record.executionArn })),
  );
  if (described.status === "RUNNING")
    throw new OperatorRefusal(`${record.executionArn.split(":").at(-1)} is still running: nothing to retry`);
  if (described.redriveStatus === "NOT_REDRIVABLE")
    throw new OperatorRefusal(
      `${record.executionArn.split(":").at(-1)} cannot be redriven (${described.redriveStatusReason ?? "not redrivable"}): abort it with \`switchyard abort ${name} --reason …\`, then deploy again`,
    );
  try {
    await awsStep("states:RedriveExecution", () =>
      deps.clients.sfn.send(
        new RedriveExecutionCommand({
          executionArn: record.executionArn,
          // Idempotent: a second retry of the same redrive count is the same request.
          clientToken: `retry-${record.generation}-${described.redriveCount ?? 0}`,
        }),
      ),
    );
  } catch (error) {
    if ((error as Error).name === "ExecutionNotRedrivable")
      throw new OperatorRefusal(
        `${record.executionArn.split(":").at(-1)} cannot be redriven: ${(error as Error).message}`,
      );
    throw error;
  }
  await recordAudit(deps.store, {
    reaction: "operator",
    decision: "retried",
    reason: `${ask.by}: ${ask.reason}; redrive ${(described.redriveCount ?? 0) + 1} of ${record.executionArn.split(":").at(-1)} (it had ${described.status})`,
    subject: name,
    executionArn: record.executionArn,
  });
  return {
    outcome: "redriven",
    detail: `${record.executionArn.split(":").at(-1)} resumes from its failed state`,
  };
}

/**
 * Abort = rollback of the rollout in flight: the alias back on the stable version (when the
 * split is this deployment's), the execution stopped, the record settled as rolled back and its
 * generation advanced (the fence), audited and notified.
 */
export async function abortRollout(deps: TriggerDeps, name: string, ask: OperatorAsk) {
  deploymentOf(deps.config, name);
  const record = await readDeployment(deps.store, name);
  if (record?.status !== "shifting")
    throw new OperatorRefusal(
      `deployment "${name}" has no rollout in flight (${record?.status ?? "no record"}): nothing to abort; to go back after it ended use \`switchyard rollback ${name} --reason …\``,
    );
  const reason = `aborted by ${ask.by}: ${ask.reason}`;
  const out = await rollBack(deps, record, { status: "rolled-back", reason, stopExecution: true });
  await told(deps, name, {
    decision: "aborted",
    kind: "rolled-back",
    audit: `${ask.by}: ${ask.reason}; ${out.detail}`,
    notice: reason,
    executionArn: record.executionArn,
  });
  return out;
}

// ---- one entry point for the CLI (--aws) and the dev control plane ----------------------------

/** An operator's action on one deployment, as the CLI and the dev journal carry it. */
export interface DeploymentAction extends OperatorAsk {
  readonly verb: "deploy" | "pause" | "resume" | "retry" | "abort" | "unfreeze";
  readonly deployment: string;
  readonly image?: string;
  readonly tag?: string;
  readonly breakGlass?: boolean;
  readonly force?: boolean;
}

/** Runs one operator action; a refusal throws `OperatorRefusal` (nothing written). */
export async function operateDeployment(
  deps: TriggerDeps,
  action: DeploymentAction,
): Promise<{ outcome: string; detail: string; executions?: string[] }> {
  const { deployment: name, by, reason } = action;
  switch (action.verb) {
    case "deploy": {
      const out = await manualDeploy(deps, name, {
        by,
        reason,
        ...(action.image !== undefined ? { image: action.image } : {}),
        ...(action.tag !== undefined ? { tag: action.tag } : {}),
        ...(action.breakGlass ? { breakGlass: true } : {}),
        ...(action.force ? { force: true } : {}),
      });
      return { outcome: out.outcome, detail: out.reason, executions: out.executions };
    }
    case "pause":
      return pauseRollout(deps, name, { by, reason });
    case "resume":
      return resumeRollout(deps, name, { by, reason });
    case "retry":
      return retryRollout(deps, name, { by, reason });
    case "abort":
      return abortRollout(deps, name, { by, reason });
    case "unfreeze":
      deploymentOf(deps.config, name);
      return unfreeze(deps, name, { by, reason });
  }
}
