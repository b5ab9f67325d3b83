import { createHash } from "node:crypto";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { Octokit } from "@octokit/rest";
import * as z from "zod";
import { executionExists, startExecution } from "../aws/executions.ts";
import type { ManagedSecret } from "../config/schema.ts";
import { type ReactionResult, resultsOf, type TriggerDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import type { BusEvent } from "../events/envelope.ts";
import { notify } from "../notify/notify.ts";
import { automationPaused, recordAudit } from "../store/state.ts";
import { rotators } from "./registry.ts";
import type { Rotator, RotatorDeps } from "./rotator.ts";

const REACTION = "rotate-on-leak";
/** Alert actions that mean "this secret is exposed now". */
export const LEAK_ACTIONS = ["created", "publicly_leaked"] as const;

/** The rotate-on-leak state machine's input: everything it needs, so a console re-run does the same. */
export const LeakInput = z.object({
  secret: z.string().min(1),
  secretId: z.string().min(1),
  rotator: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  /** The version id of the rotation: derived from the alert, so a redrive or a replay reuses it. */
  rotationToken: z.string().regex(/^[A-Za-z0-9-]{32,64}$/),
  alert: z.object({
    repository: z.string().regex(/^[^/]+\/[^/]+$/),
    number: z.number().int(),
    secretType: z.string(),
    action: z.string(),
  }),
  github: z.object({ apiUrl: z.string(), tokenSecret: z.string() }).nullable(),
  notifyTopicArn: z.string().nullable(),
  trigger: z.object({ eventId: z.string(), source: z.string(), detailType: z.string() }),
  correlationId: z.string(),
});
export type LeakInput = z.output<typeof LeakInput>;

export const LEAK_STEPS = [
  "rotate",
  "verify",
  "invalidate",
  "resolveAlert",
  "record",
  "recordFailure",
] as const;
export type LeakStep = (typeof LEAK_STEPS)[number];

/** What each secret-leak-steps invocation receives from the state machine. */
export const LeakPayload = z.object({
  action: z.string(),
  input: LeakInput,
  execution: z.string(),
  /** What the rotate step found: the version that was current (the leaked one). */
  rotation: z.object({ leakedVersion: z.string() }).optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

interface Alert {
  action: string;
  alert: { number: number; secret_type: string };
  repository: { full_name: string };
}

/** The managed secrets an alert concerns: same repository and secret type. */
export function matchAlert(secrets: readonly ManagedSecret[], alert: Alert): ManagedSecret[] {
  return secrets.filter(
    (s) =>
      s.leaks?.repositories.includes(alert.repository.full_name) &&
      s.leaks.secretTypes.includes(alert.alert.secret_type),
  );
}

/** A UUID-shaped version id derived from the secret and the alert: one alert, one rotation. */
function rotationToken(secret: string, repository: string, alert: number): string {
  const h = createHash("sha256").update(`${secret}\n${repository}\n${alert}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function leakExecutionName(secret: string, repository: string, alert: number): string {
  const repo = createHash("sha256").update(repository).digest("hex").slice(0, 8);
  return `leak-${secret}-${alert}-${repo}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 80);
}

/**
 * A GitHub secret scanning alert → one rotate-on-leak execution per managed secret it concerns.
 * Execution names derive from the secret and the alert (not the delivery), so duplicates, replays
 * and a `publicly_leaked` after `created` of the same alert rotate once. No mapping, a paused
 * control plane, or an action that is not a leak: audited and (no mapping) notified.
 */
export async function onSecretScanningAlert(
  deps: TriggerDeps & { rotateOnLeakStateMachineArn: string },
  event: BusEvent<Record<string, unknown>>,
): Promise<ReactionResult> {
  const alert = event.detail as unknown as Alert;
  const repository = alert.repository.full_name;
  const subject = `secret scanning alert #${alert.alert.number} (${alert.alert.secret_type}) in ${repository}`;
  const result = resultsOf(REACTION);
  const audit = (decision: string, reason: string, secret?: string, executionArn?: string) =>
    recordAudit(deps.store, {
      reaction: REACTION,
      decision,
      reason,
      ...(secret ? { subject: secret } : {}),
      eventId: event.id,
      correlationId: event.id,
      ...(executionArn ? { executionArn } : {}),
    });
  if (!(LEAK_ACTIONS as readonly string[]).includes(alert.action)) {
    const reason = `${subject}: action "${alert.action}" is not a leak (${LEAK_ACTIONS.join(", ")} are)`;
    await audit("no-action", reason);
    return result("no-action", reason);
  }
  const matched = matchAlert(deps.config.secrets, alert);
  if (matched.length === 0) {
    const reason = `no action: no mapping: no secrets[] entry lists ${repository} and ${alert.alert.secret_type} under leaks`;
    await audit("no-action", `${subject}: ${reason}`);
    await notify(deps, deps.config.notifications.topicArn, `Leaked secret not managed by Switchyard`, {
      alert: { repository, number: alert.alert.number, secretType: alert.alert.secret_type },
      decision: reason,
      fix: "rotate it by hand, or add it to secrets[] with leaks.repositories and leaks.secretTypes",
    });
    return result("no-action", reason);
  }
  const control = await automationPaused(deps);
  if (control.paused) {
    const reason = `automation paused${control.reason ? ` (${control.reason})` : ""}: ${subject} not acted on`;
    for (const s of matched) await audit("no-action", reason, s.name);
    return result(
      "paused",
      reason,
      [],
      matched.map((s) => s.name),
    );
  }
  const executions: string[] = [];
  const outcomes: string[] = [];
  for (const secret of matched) {
    const name = leakExecutionName(secret.name, repository, alert.alert.number);
    const arn = `${deps.rotateOnLeakStateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
    const input: LeakInput = {
      secret: secret.name,
      secretId: secret.secretId,
      rotator: secret.rotator,
      options: secret.options,
      rotationToken: rotationToken(secret.name, repository, alert.alert.number),
      alert: {
        repository,
        number: alert.alert.number,
        secretType: alert.alert.secret_type,
        action: alert.action,
      },
      github: deps.config.secretScanning
        ? { apiUrl: deps.config.secretScanning.apiUrl, tokenSecret: deps.config.secretScanning.tokenSecret }
        : null,
      notifyTopicArn: deps.config.notifications.topicArn ?? null,
      trigger: { eventId: event.id, source: event.source, detailType: event["detail-type"] },
      correlationId: event.id,
    };
    if (await executionExists(deps, arn)) {
      outcomes.push("duplicate");
      await audit(
        "duplicate",
        `${subject}: execution ${name} exists: this alert is being or was handled`,
        secret.name,
        arn,
      );
      continue;
    }
    const started = await startExecution(
      deps.clients.sfn,
      deps.rotateOnLeakStateMachineArn,
      name,
      JSON.stringify(input),
    );
    if (started === undefined) {
      outcomes.push("duplicate");
      continue;
    }
    outcomes.push("started");
    executions.push(arn);
    await audit("started", `${subject}: rotating ${secret.name} now`, secret.name, arn);
  }
  const outcome = outcomes.includes("started") ? "started" : "duplicate";
  return result(
    outcome,
    `${subject}: ${outcomes.join(", ")}`,
    executions,
    matched.map((s) => s.name),
  );
}

export interface LeakStepDeps extends TriggerDeps, RotatorDeps {
  /** Where Octokit sends requests; the global fetch by default. */
  readonly fetch?: typeof fetch;
}

export type LeakPayload = z.output<typeof LeakPayload>;

const rotatorOf = (input: LeakInput): Rotator | undefined =>
  rotators[input.rotator as keyof typeof rotators] as Rotator | undefined;

async function stagesOf(deps: RotatorDeps, secretId: string) {
  const d = await deps.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  return d.VersionIdsToStages ?? {};
}

const holder = (stages: Record<string, string[]>, label: string) =>
  Object.entries(stages).find(([, s]) => s.includes(label))?.[0];

/** What each action does; the rotate-on-leak unit (leak-unit.ts) validates the payload first. */
export const leakSteps: {
  readonly [A in LeakStep]: (
    deps: LeakStepDeps,
    input: LeakInput,
    p: LeakPayload,
  ) => Promise<Record<string, unknown>>;
} = {
  async rotate(deps, input) {
    const stages = await stagesOf(deps, input.secretId);
    const current = holder(stages, "AWSCURRENT") ?? "";
    if (current === input.rotationToken) {
      // A redrive after the rotation finished: the leaked version is the one now AWSPREVIOUS.
      return { outcome: "already", leakedVersion: holder(stages, "AWSPREVIOUS") ?? "" };
    }
    await deps.clients.secrets.send(
      new RotateSecretCommand({
        SecretId: input.secretId,
        ClientRequestToken: input.rotationToken,
        RotateImmediately: true,
      }),
    );
    return { outcome: "started", leakedVersion: current };
  },
  async verify(deps, input) {
    const stages = await stagesOf(deps, input.secretId);
    if (!stages[input.rotationToken]?.includes("AWSCURRENT"))
      throw new SwitchyardError(
        ErrorNames.RotationNotFinished,
        `version ${input.rotationToken} of ${input.secret} is not AWSCURRENT yet`,
      );
    const rotator = rotatorOf(input);
    if (rotator) {
      const current = await deps.clients.secrets.send(
        new GetSecretValueCommand({ SecretId: input.secretId }),
      );
      await rotator.test(deps, current.SecretString ?? "", input.options as never);
    }
    return { outcome: "verified" };
  },
  async invalidate(deps, input, { rotation }) {
    const leakedVersion = rotation?.leakedVersion ?? "";
    if (!leakedVersion || leakedVersion === input.rotationToken) return { outcome: "nothing-to-invalidate" };
    const stages = await stagesOf(deps, input.secretId);
    const rotator = rotatorOf(input);
    if (rotator && stages[leakedVersion]) {
      const get = (select: { VersionId?: string }) =>
        deps.clients.secrets.send(new GetSecretValueCommand({ SecretId: input.secretId, ...select }));
      const [leaked, current] = await Promise.all([get({ VersionId: leakedVersion }), get({})]);
      await rotator.invalidate(
        deps,
        leaked.SecretString ?? "",
        current.SecretString ?? "",
        input.options as never,
      );
    }
    if (stages[leakedVersion]?.includes("AWSPREVIOUS")) {
      // Nobody may fetch the leaked value as "previous" any more (clients fall back to AWSPREVIOUS).
      await deps.clients.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: input.secretId,
          VersionStage: "AWSPREVIOUS",
          RemoveFromVersionId: leakedVersion,
        }),
      );
    }
    return { outcome: "invalidated" };
  },
  async resolveAlert(deps, input) {
    if (!input.github)
      return { outcome: "skipped", reason: "secretScanning is not configured: resolve the alert by hand" };
    const token = await deps.clients.secrets.send(
      new GetSecretValueCommand({ SecretId: input.github.tokenSecret }),
    );
    const [owner = "", repo = ""] = input.alert.repository.split("/");
    const octokit = new Octokit({
      auth: token.SecretString,
      baseUrl: input.github.apiUrl,
      request: { ...(deps.fetch ? { fetch: deps.fetch } : {}), retries: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await octokit.rest.secretScanning.updateAlert({
      owner,
      repo,
      alert_number: input.alert.number,
      state: "resolved",
      resolution: "revoked",
      resolution_comment: `Rotated by Switchyard (execution ${input.secret}, event ${input.trigger.eventId})`,
    });
    return { outcome: "resolved" };
  },
  async record(deps, input, { execution }) {
    const reason = `${input.secret} rotated after secret scanning alert #${input.alert.number} in ${input.alert.repository}; the leaked credential no longer works`;
    await recordAudit(deps.store, {
      reaction: REACTION,
      decision: "rotated",
      reason,
      subject: input.secret,
      eventId: input.trigger.eventId,
      correlationId: input.correlationId,
      executionArn: execution,
    });
    await notify(deps, input.notifyTopicArn, `Leaked secret rotated: ${input.secret}`, {
      secret: input.secret,
      alert: input.alert,
      execution,
      decision: reason,
    });
    return { outcome: "recorded" };
  },
  async recordFailure(deps, input, { execution, error }) {
    const reason = `rotation of ${input.secret} after alert #${input.alert.number} failed: ${error?.Error ?? "unknown"}: ${error?.Cause ?? ""}`;
    await recordAudit(deps.store, {
      reaction: REACTION,
      decision: "failed",
      reason,
      subject: input.secret,
      eventId: input.trigger.eventId,
      correlationId: input.correlationId,
      executionArn: execution,
    });
    await notify(deps, input.notifyTopicArn, `Leaked secret NOT rotated: ${input.secret}`, {
      secret: input.secret,
      alert: input.alert,
      execution,
      decision: reason,
      fix: "look at the execution, fix the cause, then redrive it",
    });
    return { outcome: "recorded" };
  },
};
