import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { executionExists, startExecution } from "../aws/executions.ts";
import type { Deployment } from "../config/index.ts";
import { configIndex } from "../config/lookup.ts";
import { type ReactionResult, resultsOf, type TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { EcrImageActionDetail } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { logger } from "../observability/logger.ts";
import { githubArtifact as githubIdentity, imageRegistry, refuseDowngrade } from "../provenance.ts";
import {
  automationPaused,
  claimExecutionStart,
  type DeploymentRecord,
  queueDeploy,
  readDeployment,
  recordAudit,
  releaseExecutionStart,
  takeActionBudget,
  takeQueuedDeploy,
} from "../store/state.ts";
import { readAlias } from "./alias.ts";
import { DeployInput } from "./input.ts";
import { promotionRefusal } from "./promotion.ts";
import { rollBack } from "./rollback.ts";
import { deployInput, executionName } from "./start.ts";

/** A deployment to start, with the image it deploys and the words the audit log uses for it. */
export interface Planned {
  readonly deployment: Deployment;
  readonly image: { registry: string; region: string; repository: string; tag?: string; digest: string };
}

const result = resultsOf("deploy");

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
  const watching = d["image-tag"]
    ? configIndex(deps.config).imagePush(d["repository-name"], d["image-tag"])
    : [];
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
  const watching = configIndex(deps.config)
    .githubRepository(repository)
    .filter((dep) => dep.github?.on.includes(githubEvent as "release" | "deployment"));
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
  // Deliveries are deduplicated by content too: a captured delivery resent under a new
  // X-GitHub-Delivery id names the same release or deployment, so the same execution.
  const identity = githubIdentity(githubEvent, event.detail);
  return startDeployments(
    deps,
    event,
    subject,
    planned,
    identity && { key: `${identity.kind}-${identity.id}`, label: identity.label },
  );
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
 * was delivered before (execution names derive from its id, and the first delivery to claim
 * the name is the only one that starts it and spends the action budget), the action limit is
 * reached, the image cannot run on Lambda, or a deployment is in flight and the newer-image
 * policy says queue or reject; every one of those decisions is audited, and every refusal
 * notified.
 */
export async function startDeployments(
  deps: TriggerDeps,
  event: BusEvent,
  subject: string,
  planned: readonly Planned[],
  /** What the event is about, when that is not the event itself (a GitHub release or deployment). */
  identity?: { key: string; label: string },
): Promise<ReactionResult> {
  const audit = (
    decision: string,
    reason: string,
    deployment?: string,
    executionArn?: string,
    details?: Record<string, unknown>,
  ) =>
    recordAudit(deps.store, {
      reaction: "deploy",
      decision,
      reason,
      eventId: event.id,
      correlationId: event.id,
      ...(deployment ? { subject: deployment } : {}),
      ...(executionArn ? { executionArn } : {}),
      ...(details ? { details } : {}),
    });
  const tell = (deployment: string, what: string, reason: string, image?: string) =>
    notify(deps, deps.config.notifications.topicArn, `Switchyard: deploy of ${deployment} ${what}`, {
      deployment,
      ...(image ? { image } : {}),
      event: event.id,
      reason,
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
    const name = executionName(dep.name, identity?.key ?? event.id);
    const arn = `${deps.deployStateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const duplicate = async (why: string) => {
      outcomes.push("duplicate");
      const what = identity ? `event ${event.id} (${identity.label})` : `event ${event.id}`;
      await audit("duplicate", `${what} ${why}: duplicate delivery ignored`, dep.name, arn);
    };
    if (await executionExists(deps, arn)) {
      await duplicate(`already started execution ${name}`);
      continue;
    }
    // Concurrent deliveries of one push: one wins the name; only it spends the budget and starts.
    const start = await claimExecutionStart(deps.store, name);
    if (start === "taken") {
      await duplicate(`is being started as execution ${name} by another delivery`);
      continue;
    }
    // Anything that fails from here gives the start claim back, so a retry of this delivery
    // (Lambda retries a failed asynchronous invocation) can claim it again.
    try {
      // The input, built from what AWS says now: the alias, the fence (generation) and the record.
      const [alias, record] = await Promise.all([
        readAlias(deps, dep.function, dep.alias),
        readDeployment(deps.store, dep.name),
      ]);
      const input = deployInput(deps, dep, image, alias.version, event, record?.generation ?? 0);
      const imageUri = input.imageUri;
      const invalid = DeployInput.safeParse(input);
      if (!invalid.success) {
        const reason = `${subject}: cannot deploy ${imageUri}: ${invalid.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
        outcomes.push("invalid-input");
        await audit("invalid-input", reason, dep.name);
        await tell(dep.name, "refused", reason, imageUri);
        continue;
      }
      const refusal = (await promotionRefusal(deps, dep, image.digest)) ?? (await imageRefusal(deps, image));
      if (refusal) {
        outcomes.push("refused");
        await audit("refused", `${subject}: ${refusal}`, dep.name);
        await tell(dep.name, "refused", refusal, imageUri);
        continue;
      }
      let generation = record?.generation ?? 0;
      if (record?.status === "shifting") {
        const decided = await newerImage(deps, dep, record, { name, input, subject, imageUri, event });
        outcomes.push(decided.outcome);
        await audit(decided.outcome, decided.reason, dep.name, record.executionArn);
        await tell(dep.name, decided.outcome, decided.reason, imageUri);
        if (decided.generation === undefined) continue;
        generation = decided.generation;
        outcomes.pop();
      }
      if (start === "won" && !(await takeActionBudget(deps.store, deps.config.safety.actionLimit))) {
        const { max, windowSeconds } = deps.config.safety.actionLimit;
        await releaseExecutionStart(deps.store, name);
        outcomes.push("limited");
        await audit(
          "no-action",
          `action limit reached (${max} per ${windowSeconds} s, safety.actionLimit): ${subject} not deployed`,
          dep.name,
        );
        continue;
      }
      // After a supersede the alias is back on the stable version: decide from there.
      const stable =
        generation === (record?.generation ?? 0) ? alias : await readAlias(deps, dep.function, dep.alias);
      const fenced = { ...input, stableVersion: stable.version, generation };
      // A push still queued on a settled record waited for automation to resume: this newer
      // one replaces it (the newest push wins), or it would start after this one and undo it.
      const held =
        record?.queued && record.status !== "shifting" && (await takeQueuedDeploy(deps.store, dep.name));
      if (held)
        await audit(
          "superseded",
          `${subject}: replaces the push queued since ${held.queuedAt} (${String(held.input.imageUri)}), which waited for automation to resume`,
          dep.name,
        );
      const executionArn = await startExecution(
        deps.clients.sfn,
        deps.deployStateMachineArn,
        name,
        JSON.stringify(fenced),
      );
      if (executionArn === undefined) await duplicate(`already started execution ${name}`);
      else {
        executions.push(executionArn);
        outcomes.push("started");
        await audit(
          "started",
          `${subject} (${image.digest}); alias ${dep.function}:${dep.alias} on version ${stable.version}`,
          dep.name,
          executionArn,
        );
        logger.info("deploy started", { deployment: dep.name, executionArn });
      }
    } catch (error) {
      await releaseExecutionStart(deps.store, name);
      throw error;
    }
  }
  const outcome = outcomes.includes("started") ? "started" : (outcomes[0] ?? "no-action");
  const summary = names.map((n, i) => `${n} ${outcomes[i]}`).join(", ");
  return result(outcome, `${subject}: ${summary}`, executions, names);
}

/**
 * A push while a deployment of the same alias shifts, by the deployment's `onNewerImage`:
 * supersede (roll the one in flight back to stable, stop it, and start this one under the
 * generation that rollback set), queue (keep this input on the record; it starts when the one
 * in flight ends), or reject. Returns the generation to start under, or none.
 */
async function newerImage(
  deps: TriggerDeps,
  dep: Deployment,
  record: DeploymentRecord,
  push: { name: string; input: DeployInput; subject: string; imageUri: string; event: BusEvent },
): Promise<{ outcome: string; reason: string; generation?: number }> {
  const inFlight = `${record.executionArn.split(":").at(-1)} (${record.imageUri})`;
  if (record.imageUri === push.imageUri)
    return {
      outcome: "no-action",
      reason: `${push.subject}: ${dep.name} is already deploying this image: ${inFlight}`,
    };
  if (dep.onNewerImage === "reject")
    return {
      outcome: "rejected",
      reason: `${push.subject}: ${dep.name} is shifting ${inFlight}; onNewerImage "reject" refuses ${push.imageUri}. Push again when it ends`,
    };
  if (dep.onNewerImage === "queue") {
    const { generation: _fence, ...input } = push.input;
    const queued = await queueDeploy(deps.store, dep.name, {
      input,
      name: push.name,
      queuedAt: deps.now().toISOString(),
    });
    if (queued)
      return {
        outcome: "queued",
        reason: `${push.subject}: ${dep.name} is shifting ${inFlight}; ${push.imageUri} starts when it ends (onNewerImage "queue")`,
      };
  }
  const out = await rollBack(deps, record, {
    status: "rolled-back",
    reason: `superseded by ${push.subject} (${push.imageUri}), onNewerImage "supersede"`,
    stopExecution: true,
    correlationId: push.event.id,
    eventId: push.event.id,
  });
  const now = await readDeployment(deps.store, dep.name);
  if (now?.status === "shifting")
    return {
      outcome: "rejected",
      reason: `${push.subject}: could not supersede ${inFlight} (${out.detail}); ${push.imageUri} not deployed`,
    };
  return {
    outcome: "superseded",
    reason: `${push.subject}: superseded ${inFlight}: ${out.detail}`,
    generation: now?.generation ?? 0,
  };
}

/** Manifest media types Lambda cannot run: an image index / manifest list (buildx's default with provenance). */
const INDEX_MEDIA_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/**
 * Why Lambda would refuse the image, read from ECR before anything is claimed: an image index
 * or manifest list is rejected by UpdateFunctionCode (InvalidParameterValueException).
 * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html
 */
async function imageRefusal(
  deps: TriggerDeps,
  image: { repository: string; digest: string },
): Promise<string | undefined> {
  try {
    const out = await awsStep("ecr:DescribeImages", () =>
      deps.clients.ecr.send(
        new DescribeImagesCommand({
          repositoryName: image.repository,
          imageIds: [{ imageDigest: image.digest }],
        }),
      ),
    );
    const mediaType = out.imageDetails?.[0]?.imageManifestMediaType;
    if (mediaType && INDEX_MEDIA_TYPES.has(mediaType))
      return `${image.repository}@${image.digest} is an image index / manifest list (${mediaType}), which Lambda cannot run: push a single-platform image (docker buildx build --provenance=false --platform linux/amd64 or linux/arm64)`;
    return undefined;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "ImageNotFoundException")
      return `${image.repository}@${image.digest} is not in ECR: nothing to deploy`;
    // A repository this account cannot describe: UpdateFunctionCode is the judge then.
    if (name === "RepositoryNotFoundException" || name === "InvalidParameterException") {
      logger.warn("image media type unknown", { repository: image.repository, error: name });
      return undefined;
    }
    throw error;
  }
}
