import { DescribeExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { Deployment } from "../config/index.ts";
import type { ReactionResult, TriggerDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { EcrImageActionDetail } from "../events/parse.ts";
import { logger } from "../observability/logger.ts";
import { readControl, recordAudit, takeActionBudget } from "../store/state.ts";
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

/** ECR push of a configured repository:tag → one deploy execution per deployment that watches it. */
export async function onImagePush(
  deps: TriggerDeps,
  event: BusEvent<EcrImageActionDetail>,
): Promise<ReactionResult> {
  const d = event.detail;
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
  if (d["action-type"] !== "PUSH" || d.result !== "SUCCESS") {
    return result(
      "no-action",
      `ECR ${d["action-type"]} with result ${d.result}: only successful pushes deploy`,
    );
  }
  const watching = deps.config.deployments.filter(
    (dep) => dep.image && dep.image.repository === d["repository-name"] && dep.image.tag === d["image-tag"],
  );
  const subject = `${d["repository-name"]}:${d["image-tag"] ?? d["image-digest"]}`;
  if (watching.length === 0) {
    await recordAudit(deps.store, {
      reaction: "deploy",
      decision: "no-action",
      reason: `no deployment watches ${subject}`,
      eventId: event.id,
      correlationId: event.id,
    });
    return result("no-action", `no deployment watches ${subject}`);
  }
  const control = await readControl(deps.store);
  if (control.paused) {
    const reason = `automation paused${control.reason ? ` (${control.reason})` : ""}: push of ${subject} not deployed`;
    for (const dep of watching) {
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "no-action",
        reason,
        subject: dep.name,
        eventId: event.id,
        correlationId: event.id,
      });
    }
    return result(
      "paused",
      reason,
      [],
      watching.map((w) => w.name),
    );
  }
  const executions: string[] = [];
  const outcomes: string[] = [];
  for (const dep of watching) {
    const alias = await readAlias(deps, dep.function, dep.alias);
    const input = deployInput(
      deps,
      dep,
      {
        registry: event.account ?? deps.config.account,
        region: event.region ?? deps.config.region,
        repository: d["repository-name"],
        ...(d["image-tag"] ? { tag: d["image-tag"] } : {}),
        digest: d["image-digest"],
      },
      alias.version,
      event,
    );
    const name = executionName(dep.name, event.id);
    const arn = `${deps.deployStateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    if (await executionExists(deps, arn)) {
      outcomes.push("duplicate");
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "duplicate",
        reason: `event ${event.id} already started execution ${name}: duplicate delivery ignored`,
        subject: dep.name,
        eventId: event.id,
        correlationId: event.id,
        executionArn: arn,
      });
      continue;
    }
    if (!(await takeActionBudget(deps.store, deps.config.safety.actionLimit))) {
      const { max, windowSeconds } = deps.config.safety.actionLimit;
      const reason = `action limit reached (${max} per ${windowSeconds} s, safety.actionLimit): push of ${subject} not deployed`;
      outcomes.push("limited");
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "no-action",
        reason,
        subject: dep.name,
        eventId: event.id,
        correlationId: event.id,
      });
      continue;
    }
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
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "started",
        reason: `push of ${subject} (${d["image-digest"]}); alias ${dep.function}:${dep.alias} on version ${alias.version}`,
        subject: dep.name,
        eventId: event.id,
        correlationId: event.id,
        executionArn: String(out.executionArn),
      });
      logger.info("deploy started", { deployment: dep.name, executionArn: out.executionArn });
    } catch (error) {
      if ((error as Error).name !== "ExecutionAlreadyExists") throw error;
      outcomes.push("duplicate");
      await recordAudit(deps.store, {
        reaction: "deploy",
        decision: "duplicate",
        reason: `event ${event.id} already started execution ${name}: duplicate delivery ignored`,
        subject: dep.name,
        eventId: event.id,
        correlationId: event.id,
      });
    }
  }
  const outcome = outcomes.includes("started") ? "started" : (outcomes[0] ?? "no-action");
  const summary = watching.map((w, i) => `${w.name} ${outcomes[i]}`).join(", ");
  return result(
    outcome,
    `push of ${subject}: ${summary}`,
    executions,
    watching.map((w) => w.name),
  );
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
