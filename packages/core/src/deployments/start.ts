import type { Deployment } from "../config/index.ts";
import type { TriggerDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import { analysisInput } from "./analysis.ts";
import { budgetInput } from "./budget.ts";
import { gateInput } from "./gates.ts";
import { hookInput } from "./hooks.ts";
import type { DeployInput } from "./input.ts";
import { reportingInput } from "./notify.ts";
import { versionAlarmInput } from "./version-alarms.ts";

/*
 * What starts one deploy execution: its name and its self-contained input. Apart from trigger.ts
 * so that the deploy steps (a promotion starts the promoted deployment's execution) do not bundle
 * the trigger (its ECR reads, the event handling); with `promotionInput` here, promotion.ts
 * imports this module statically: a dynamic import() makes esbuild wrap every module behind it
 * in a lazy initialiser, which defeats tree-shaking of whole SDK clients (ADR 0031).
 */

/** The deploy input's `promoteTo`: the deployments that promote from this one. */
export function promotionInput(
  deployments: readonly Deployment[],
  deployment: Deployment,
): { promoteTo?: string[] } {
  const to = deployments.filter((d) => d.promoteFrom === deployment.name).map((d) => d.name);
  return to.length > 0 ? { promoteTo: to } : {};
}

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
  generation: number,
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
    generation,
    steps: deployment.steps,
    alarms: deployment.alarms,
    suppressedAlarms: deployment.suppressedAlarms,
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
    ...reportingInput(deployment, event),
    ...hookInput(deployment.hooks),
    ...gateInput(deployment.approvals, deployment.steps.length),
    ...analysisInput(deployment.analysis),
    ...versionAlarmInput(deployment.versionAlarms),
    ...budgetInput(deployment),
    ...promotionInput(deps.config.deployments, deployment),
  };
}
