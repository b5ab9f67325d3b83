import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { startExecution } from "../aws/executions.ts";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps, TriggerDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import { logger } from "../observability/logger.ts";
import { imageRegistry } from "../provenance.ts";
import { automationPaused, queueDeploy, readDeployment, readItem, recordAudit } from "../store/state.ts";
import { stateTable } from "../store/table.ts";
import { readAlias } from "./alias.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";
import { deployInput, executionName } from "./start.ts";

/**
 * Promotion between environments (issue #12, docs/decisions/0028-error-budgets-and-promotion.md):
 * a deployment may `promoteFrom` another (staging → production). When the source's deployment
 * of a digest succeeds (its record settles at 100%), the digest is recorded as passed and the
 * promoted deployment of the same digest starts, through the same path as a push (its own scan
 * gate, budget and freeze check, approvals, steps). A deployment that promotes from another
 * deploys only digests that passed it: any other start of it (a push of its tag, a GitHub event,
 * `switchyard deploy`) is refused and audited.
 */

/** The source of the event a promotion starts its deployment with (never on the bus). */
export const PROMOTION_SOURCE = "switchyard.promotion";

/** A digest that passed a deployment a promoted one promotes from. */
interface Passed {
  readonly from: string;
  readonly executionArn: string;
  readonly imageUri: string;
  readonly at: string;
}

const passedKey = (deployment: string, digest: string) => ({
  [stateTable.partitionKey]: `promotion#${deployment}`,
  [stateTable.sortKey]: digest,
});

function readPassed(deps: CoreDeps, deployment: string, digest: string): Promise<Passed | undefined> {
  return readItem<Passed>(deps.store, "read promotion", passedKey(deployment, digest));
}

/**
 * Why a deployment that promotes from another must not start with this digest: it did not pass
 * the source deployment. Undefined for deployments that do not promote, and for passed digests.
 */
export async function promotionRefusal(
  deps: CoreDeps,
  deployment: Deployment,
  digest: string,
): Promise<string | undefined> {
  if (!deployment.promoteFrom) return undefined;
  if (await readPassed(deps, deployment.name, digest)) return undefined;
  return `${digest} did not pass ${deployment.promoteFrom}: ${deployment.name} deploys only digests promoted from it (promoteFrom); deploy it to ${deployment.promoteFrom} first`;
}

/**
 * The finish step of a deployment that others promote from: records the digest as passed for each
 * of them (first write wins; a redrive writes nothing new), then starts each one's deployment of it
 * through `startDeployments`, whose execution name derives from the digest: a retried finish
 * starts nothing twice.
 */
export async function promoteAfterSuccess(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
): Promise<void> {
  const targets = (input as { promoteTo?: unknown }).promoteTo;
  if (!Array.isArray(targets) || targets.length === 0) return;
  // The deploy-steps function's context is the trigger's (config and state machine ARNs).
  const trigger = deps as CoreDeps & Partial<TriggerDeps>;
  const config = trigger.config;
  if (!config || !trigger.deployStateMachineArn) {
    logger.warn("promotion skipped: no config in this context", { deployment: input.deployment });
    return;
  }
  const { digest } = input.image;
  for (const name of targets) {
    const target = config.deployments.find((d) => d.name === name && d.promoteFrom === input.deployment);
    if (!target) {
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "no-action",
        reason: `${name} no longer promotes from ${input.deployment} in the config: ${digest} not promoted`,
        subject: String(name),
        executionArn: payload.execution,
      });
      continue;
    }
    const passed: Passed = {
      from: input.deployment,
      executionArn: payload.execution,
      imageUri: input.imageUri,
      at: deps.now().toISOString(),
    };
    try {
      await deps.store.db.send(
        new PutCommand({
          TableName: deps.store.table,
          Item: { ...passedKey(target.name, digest), ...passed },
          ConditionExpression: "attribute_not_exists(executionArn)",
        }),
      );
    } catch (error) {
      if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
    }
    const event: BusEvent = {
      version: "0",
      id: `promote-${input.deployment}-${digest.slice(7, 19)}`,
      source: PROMOTION_SOURCE,
      account: config.account,
      region: config.region,
      time: deps.now().toISOString(),
      resources: [payload.execution],
      "detail-type": "Promotion",
      detail: { from: input.deployment, to: target.name, digest, executionArn: payload.execution },
    };
    await startPromoted(trigger as TriggerDeps, target, event, {
      ...imageRegistry(config),
      repository: input.image.repository,
      ...(input.image.tag ? { tag: input.image.tag } : {}),
      digest,
    });
  }
}

/**
 * Starts the promoted deployment's execution, as the trigger would: its input built from the
 * alias and the record now (the fence), its name from the digest (a retried finish step gets
 * ExecutionAlreadyExists, nothing twice). While that deployment shifts another image, the
 * promotion waits on its record (queued) and starts when the one in flight ends; while automation
 * is paused, nothing starts. With only the calls the finish step already makes (no ECR read: the
 * digest ran in the source deployment), so the deploy-steps role needs no new grant.
 */
async function startPromoted(
  deps: TriggerDeps,
  target: Deployment,
  event: BusEvent,
  image: { registry: string; region: string; repository: string; tag?: string; digest: string },
): Promise<void> {
  const audit = (decision: string, reason: string, executionArn?: string) =>
    recordAudit(deps.store, {
      reaction: "deploy",
      decision,
      reason,
      subject: target.name,
      eventId: event.id,
      correlationId: event.id,
      ...(executionArn ? { executionArn } : {}),
    });
  const subject = `promotion of ${image.digest} from ${target.promoteFrom} (it serves 100% there)`;
  const control = await automationPaused(deps);
  if (control.paused) {
    await audit(
      "no-action",
      `automation paused${control.reason ? ` (${control.reason})` : ""}: ${subject} not started`,
    );
    return;
  }
  const [alias, record] = await Promise.all([
    readAlias(deps, target.function, target.alias),
    readDeployment(deps.store, target.name),
  ]);
  const input = deployInput(deps, target, image, alias.version, event, record?.generation ?? 0);
  const name = executionName(target.name, event.id);
  if (record?.status === "shifting") {
    const { generation: _fence, ...queued } = input;
    if (
      await queueDeploy(deps.store, target.name, { input: queued, name, queuedAt: deps.now().toISOString() })
    ) {
      await audit(
        "queued",
        `${subject}: ${target.name} is shifting ${record.imageUri}; this starts when it ends`,
      );
      return;
    }
  }
  const executionArn = await startExecution(
    deps.clients.sfn,
    deps.deployStateMachineArn,
    name,
    JSON.stringify(input),
  );
  if (executionArn === undefined)
    await audit("duplicate", `${subject}: already started as execution ${name}`);
  else
    await audit(
      "started",
      `${subject}; alias ${target.function}:${target.alias} on version ${alias.version}`,
      executionArn,
    );
}
