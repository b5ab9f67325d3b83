import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { Deployment } from "../config/index.ts";
import type { ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { EcrImageActionDetail } from "../events/parse.ts";
import { logger } from "../observability/logger.ts";
import { imageRegistry, refuseDowngrade } from "../provenance.ts";
import { automationPaused, recordAudit, takeActionBudget } from "../store/state.ts";
import { readAlias } from "./alias.ts";
import type { DeployInput } from "./input.ts";

/**
 * Execution names are derived from the event id: a duplicate delivery of the same push asks
 * Step Functions for an execution that exists already, and gets no second deployment.
 */
export function executionName(deployment: string, eventId: string): string {
  return `${deployment}-${eventId}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
}

/** Builds the self-contained input for one deployment of one image. */
export function deployInput(
  deps: TriggerDeps,
  deployment: Deployment,
  image: { registry: string; region: string; repository: string; tag?: string; digest: string },
  stableVersion: string,
  event: BusEvent,
): DeployInput {
  const globalDryRun = deps.config.safety.dryRun;
  const holdInterval = deployment.alarmHoldIntervalSeconds;
  return {
    deployment: deployment.name,
    functionName: deployment.function,
    alias: deployment.alias,
    imageUri: `${image.registry}.dkr.ecr.${image.region}.amazonaws.com/${image.repository}@${image.digest}`,
    image: { repository: image.repository, ...(image.tag ? { tag: image.tag } : {}), digest: image.digest },
    stableVersion,
    steps: deployment.steps,
    alarms: deployment.alarms,
    scanGate: deployment.gates.scan
      ? { threshold: deployment.gates.scan.threshold, timeoutSeconds: deployment.scanTimeoutSeconds ?? 1800 }
      : null,
    alarmHold: {
      intervalSeconds: holdInterval,
      maxChecks: Math.max(0, Math.floor(deployment.alarmHoldMaxSeconds / holdInterval)),
    },
    progress: { index: 0, holds: 0 },
    dryRun: deployment.dryRun || globalDryRun,
    notifyTopicArn: deps.config.notifications.topicArn ?? null,
    trigger: {
      eventId: event.id,
      source: event.source,
      detailType: event["detail-type"],
      ...(event.time ? { time: event.time } : {}),
    },
    correlationId: event.id,
  };
}

/** A deployment to start, with the image it deploys and the words the audit log uses for it. */
interface Planned {
  readonly deployment: Deployment;
  readonly image: { registry: string; region: string; repository: string; tag?: string; digest: string };
}

const result = (
  outcome: string,
  reason: string,
  executions: string[] = [],
  subjects: string[] = [],
): ReactionResult => ({
  reaction: "deploy",
  outcome,
  reason,
  executions,
  subjects,
});

/** ECR push of a configured repository:tag → one deploy execution per deployment that watches it. */
export async function onImagePush(
  deps: TriggerDeps,
  event: BusEvent<EcrImageActionDetail>,
): Promise<ReactionResult> {
  const d = event.detail;
  if (d["action-type"] !== "PUSH" || d.result !== "SUCCESS") {
    return result(
      "no-action",
      `ECR ${d["action-type"]} with result ${d.result}: only successful pushes deploy`,
    );
  }
  const subject = `push of ${d["repository-name"]}:${d["image-tag"] ?? d["image-digest"]}`;
  const watching = deps.config.deployments.filter(
    (dep) =>
      dep.image?.tag !== undefined &&
      dep.image.repository === d["repository-name"] &&
      dep.image.tag === d["image-tag"],
  );
  const image = {
    // The configured registry, never the event's account or region (provenance.ts): Lambda pulls an
    // image only from its own region, with the ECR grants the stack plans there.
    ...imageRegistry(deps.config),
    repository: d["repository-name"],
    ...(d["image-tag"] ? { tag: d["image-tag"] } : {}),
    digest: d["image-digest"],
  };
  return startDeployments(
    deps,
    event,
    subject,
    watching.map((deployment) => ({ deployment, image })),
  );
}

/** What a GitHub event asks to deploy: the image tag it names, or why it asks for nothing. */
function githubArtifact(
  githubEvent: string,
  detail: Record<string, unknown>,
): { tag: string } | { skip: string } {
  const action = String(detail.action ?? "");
  if (githubEvent === "release") {
    const release = detail.release as
      | { tag_name?: string; draft?: boolean; prerelease?: boolean }
      | undefined;
    if (action !== "published") return { skip: `release ${action}: only published releases deploy` };
    if (!release?.tag_name || release.draft || release.prerelease)
      return { skip: "draft and pre-releases do not deploy" };
    return { tag: release.tag_name };
  }
  if (githubEvent === "deployment") {
    const deployment = detail.deployment as { sha?: string; payload?: unknown } | undefined;
    if (action !== "created") return { skip: `deployment ${action}: only created deployments deploy` };
    const payload =
      deployment?.payload && typeof deployment.payload === "object"
        ? (deployment.payload as Record<string, unknown>)
        : {};
    // CI usually tags the image with the commit; a deployment may name another tag in its payload.
    const tag = typeof payload.imageTag === "string" ? payload.imageTag : deployment?.sha;
    return tag ? { tag } : { skip: "the deployment names no commit" };
  }
  return { skip: `GitHub ${githubEvent} events do not deploy` };
}

/**
 * A GitHub release (published) or deployment (created) of a configured repository → deploy the
 * image its tag (or commit) names in the deployment's ECR repository, resolved to a digest so
 * the execution's input pins it.
 */
export async function onGithubEvent(
  deps: TriggerDeps,
  githubEvent: string,
  event: BusEvent<Record<string, unknown>>,
): Promise<ReactionResult> {
  const repository = String((event.detail.repository as { full_name?: string } | undefined)?.full_name ?? "");
  const artifact = githubArtifact(githubEvent, event.detail);
  if ("skip" in artifact) return result("no-action", `${repository}: ${artifact.skip}`);
  const watching = deps.config.deployments.filter(
    (dep) =>
      dep.github?.repository === repository &&
      dep.github.on.includes(githubEvent as "release" | "deployment") &&
      dep.image,
  );
  const subject = `GitHub ${githubEvent} of ${repository} (${artifact.tag})`;
  const planned: Planned[] = [];
  const refused: string[] = [];
  for (const deployment of watching) {
    // No downgrade by event: an older release or deployment than the one taken is refused and audited.
    const downgrade = await refuseDowngrade(deps, deployment.name, githubEvent, event);
    if (downgrade) {
      refused.push(downgrade);
      continue;
    }
    const repositoryName = deployment.image?.repository ?? "";
    const digest = await imageDigest(deps, repositoryName, artifact.tag);
    if (!digest) {
      const reason = `${subject}: no image ${repositoryName}:${artifact.tag} in ECR; push it, then redeliver the GitHub event`;
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "no-action",
        reason,
        subject: deployment.name,
        eventId: event.id,
        correlationId: event.id,
      });
      continue;
    }
    planned.push({
      deployment,
      image: {
        ...imageRegistry(deps.config),
        repository: repositoryName,
        tag: artifact.tag,
        digest,
      },
    });
  }
  if (refused.length > 0 && planned.length === 0) return result("refused", refused.join("; "));
  if (watching.length > 0 && planned.length === 0) {
    return result(
      "no-action",
      `${subject}: the image is not in ECR`,
      [],
      watching.map((w) => w.name),
    );
  }
  return startDeployments(deps, event, subject, planned);
}

async function imageDigest(
  deps: TriggerDeps,
  repositoryName: string,
  tag: string,
): Promise<string | undefined> {
  try {
    const out = await awsStep("ecr:DescribeImages", () =>
      deps.clients.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] })),
    );
    return out.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "ImageNotFoundException" || name === "RepositoryNotFoundException") return undefined;
    throw error;
  }
}

/**
 * Starts one deploy execution per planned deployment, unless automation is paused, the event
 * was delivered before (execution names derive from its id), or the action limit is reached;
 * every one of those decisions is audited.
 */
async function startDeployments(
  deps: TriggerDeps,
  event: BusEvent,
  subject: string,
  planned: readonly Planned[],
): Promise<ReactionResult> {
  const audit = (decision: string, reason: string, deployment?: string, executionArn?: string) =>
    recordAudit(deps.store, {
      reaction: "deploy",
      decision,
      reason,
      eventId: event.id,
      correlationId: event.id,
      ...(deployment ? { subject: deployment } : {}),
      ...(executionArn ? { executionArn } : {}),
    });
  const names = planned.map((p) => p.deployment.name);
  if (planned.length === 0) {
    await audit("no-action", `no deployment watches the ${subject}`);
    return result("no-action", `no deployment watches the ${subject}`);
  }
  const control = await automationPaused(deps);
  if (control.paused) {
    const reason = `automation paused${control.reason ? ` (${control.reason})` : ""}: ${subject} not deployed`;
    for (const name of names) await audit("no-action", reason, name);
    return result("paused", reason, [], names);
  }
  const executions: string[] = [];
  const outcomes: string[] = [];
  for (const { deployment: dep, image } of planned) {
    const name = executionName(dep.name, event.id);
    const arn = `${deps.deployStateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    if (await executionExists(deps, arn)) {
      outcomes.push("duplicate");
      await audit(
        "duplicate",
        `event ${event.id} already started execution ${name}: duplicate delivery ignored`,
        dep.name,
        arn,
      );
      continue;
    }
    if (!(await takeActionBudget(deps.store, deps.config.safety.actionLimit))) {
      const { max, windowSeconds } = deps.config.safety.actionLimit;
      outcomes.push("limited");
      await audit(
        "no-action",
        `action limit reached (${max} per ${windowSeconds} s, safety.actionLimit): ${subject} not deployed`,
        dep.name,
      );
      continue;
    }
    const alias = await readAlias(deps, dep.function, dep.alias);
    const input = deployInput(deps, dep, image, alias.version, event);
    try {
      const out = await deps.clients.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.deployStateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      executions.push(String(out.executionArn));
      outcomes.push("started");
      await audit(
        "started",
        `${subject} (${image.digest}); alias ${dep.function}:${dep.alias} on version ${alias.version}`,
        dep.name,
        String(out.executionArn),
      );
      logger.info("deploy started", { deployment: dep.name, executionArn: out.executionArn });
    } catch (error) {
      if ((error as Error).name !== "ExecutionAlreadyExists") throw error;
      outcomes.push("duplicate");
      await audit(
        "duplicate",
        `event ${event.id} already started execution ${name}: duplicate delivery ignored`,
        dep.name,
      );
    }
  }
  const outcome = outcomes.includes("started") ? "started" : (outcomes[0] ?? "no-action");
  const summary = names.map((n, i) => `${n} ${outcomes[i]}`).join(", ");
  return result(outcome, `${subject}: ${summary}`, executions, names);
}

/** A delivered-again event finds the execution its first delivery started (names derive from event ids). */
async function executionExists(deps: TriggerDeps, executionArn: string): Promise<boolean> {
  try {
    await deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return true;
  } catch (error) {
    if ((error as Error).name === "ExecutionDoesNotExist") return false;
    throw error;
  }
}
