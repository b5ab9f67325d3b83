import { PublishCommand } from "@aws-sdk/client-sns";
import type { Config, Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import { githubStatusInput, githubWriteBack } from "../github/statuses.ts";
import { logger } from "../observability/logger.ts";
import { type AuditRecord, listAudit, readDeployment } from "../store/state.ts";
import type { DeployInput, DeployStepPayload } from "./input.ts";
import { stepCheckOf } from "./step-check.ts";

/**
 * Deploy notifications (issue #12, ADR 0029): started, each step, paused and resumed, rolled
 * back with the reason, succeeded, abandoned, break-glass, each with a summary of the
 * deployment's timeline from the audit log, through the same channels as cost responses: the
 * SNS topic and a Slack-compatible webhook. A notice holds names, versions, digests, reasons and
 * audit lines, never a secret value; a failed notification is logged and never blocks or undoes
 * the deployment (the audit log is the source of truth).
 */

/** The source and detail-types of the events an operator's deployment starts from (its input's trigger). */
export const OPERATOR_SOURCE = "switchyard.operator";
export const MANUAL_DEPLOY = "Manual Deploy";
export const BREAK_GLASS_DEPLOY = "Break-Glass Deploy";

export type DeployNoticeKind =
  | "started"
  | "step"
  | "paused"
  | "resumed"
  | "rolled-back"
  | "succeeded"
  | "abandoned"
  | "break-glass";

export interface DeployNotice {
  readonly kind: DeployNoticeKind;
  readonly deployment: string;
  readonly reason?: string;
  readonly image?: string;
  readonly executionArn?: string;
  /** The split after a step, e.g. "25% on version 4". */
  readonly step?: string;
  readonly breakGlass?: boolean;
}

const HEADLINES: { readonly [K in DeployNoticeKind]: (n: DeployNotice) => string } = {
  started: (n) => `${n.deployment}: deployment started`,
  step: (n) => `${n.deployment}: ${n.step ?? "step shifted"}`,
  paused: (n) => `${n.deployment}: rollout paused`,
  resumed: (n) => `${n.deployment}: rollout resumed`,
  "rolled-back": (n) => `${n.deployment}: rolled back`,
  succeeded: (n) => `${n.deployment}: deployed`,
  abandoned: (n) => `${n.deployment}: deployment abandoned`,
  "break-glass": (n) => `BREAK-GLASS ${n.deployment}: gates skipped, straight to 100%`,
};

/** How many audit lines the timeline keeps (the newest): a Slack section holds 3,000 characters. */
const TIMELINE_LINES = 20;

/**
 * The deployment's timeline: its audit records since the rollout started (the record's
 * startedAt; the last day when the record names another execution), oldest first. Unreadable
 * (a throttled query): said so in the notice, which goes out anyway.
 */
async function timelineOf(deps: CoreDeps, notice: DeployNotice): Promise<string[]> {
  let records: AuditRecord[];
  try {
    const record = await readDeployment(deps.store, notice.deployment);
    const since =
      record && record.executionArn === notice.executionArn
        ? record.startedAt
        : new Date(deps.now().getTime() - 86_400_000).toISOString();
    records = await listAudit(deps.store, { since });
  } catch (error) {
    logger.warn("deploy timeline not read", { error: (error as Error).name });
    return ["(the timeline could not be read: see `switchyard history`)"];
  }
  const mine = records.filter(
    (r) =>
      r.subject === notice.deployment &&
      (!notice.executionArn || !r.executionArn || r.executionArn === notice.executionArn),
  );
  return mine
    .slice(-TIMELINE_LINES)
    .map((r) => `${r.at.slice(11, 19)} ${r.reaction}/${r.decision}: ${r.reason}`.slice(0, 200));
}

/** Where a deploy notice goes: the config's topic, and the deployment's webhook when it has one. */
export interface NoticeTargets {
  readonly topicArn: string | null | undefined;
  readonly webhookUrl?: string | null | undefined;
}

/**
 * Sends one notice to the SNS topic and the webhook; returns what was delivered and what failed.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: under 100 characters)
 */
export async function deployNotice(
  deps: CoreDeps,
  targets: NoticeTargets | string | null | undefined,
  notice: DeployNotice,
): Promise<string> {
  const { topicArn, webhookUrl } =
    typeof targets === "object" && targets !== null ? targets : { topicArn: targets, webhookUrl: null };
  if (!topicArn && !webhookUrl) return "no notification target configured";
  const loud = notice.kind === "break-glass" || notice.breakGlass === true;
  const headline = `${loud && notice.kind !== "break-glass" ? "BREAK-GLASS " : ""}Switchyard: ${HEADLINES[notice.kind](notice)}`;
  const timeline = await timelineOf(deps, notice);
  const text = [
    headline,
    ...(notice.reason ? [`Reason: ${notice.reason}`] : []),
    ...(notice.image ? [`Image: ${notice.image}`] : []),
    ...(notice.executionArn ? [`Execution: ${notice.executionArn.split(":").at(-1)}`] : []),
    "Timeline:",
    ...(timeline.length ? timeline.map((t) => `• ${t}`) : ["• (nothing recorded yet)"]),
  ];
  const outcomes: string[] = [];
  if (topicArn) {
    try {
      await deps.clients.sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: headline.slice(0, 99),
          Message: JSON.stringify({ ...notice, headline, timeline, text: text.join("\n") }, null, 2),
        }),
      );
      outcomes.push("SNS sent");
    } catch (error) {
      logger.warn("deploy notification not published", { error: (error as Error).name });
      outcomes.push(`SNS failed (${(error as Error).name})`);
    }
  }
  if (webhookUrl) {
    try {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          text: text.join("\n"),
          blocks: [
            { type: "header", text: { type: "plain_text", text: headline.slice(0, 150) } },
            { type: "section", text: { type: "mrkdwn", text: text.slice(1).join("\n").slice(0, 3000) } },
          ],
        }),
        signal: AbortSignal.timeout(5000),
      });
      outcomes.push(response.ok ? "webhook sent" : `webhook failed (HTTP ${response.status})`);
    } catch (error) {
      logger.warn("deploy webhook not posted", { error: (error as Error).name });
      outcomes.push(`webhook failed (${(error as Error).name})`);
    }
  }
  return outcomes.join(", ");
}

/** What a step's result says to report, if anything: the notice kind and its words. */
type StepReport = { kind: DeployNoticeKind; reason?: string; step?: string } | undefined;

const value = (out: unknown) => (out ?? {}) as Record<string, unknown>;

/** Which deploy-steps results are reported, by action: a table, not a chain of ifs. */
const REPORTED: Record<string, (input: DeployInput, out: Record<string, unknown>) => StepReport> = {
  publish: (_input, out) => (out.outcome === "ready" && !out.resumed ? { kind: "started" } : undefined),
  shift: (_input, out) =>
    out.done === true || (out.verdict ?? "shifted") !== "shifted"
      ? undefined
      : {
          kind: "step",
          step: `${Math.round(Number(out.weight) * 100)}% shifted, bake ${String(out.pauseSeconds)} s`,
        },
  finish: () => ({ kind: "succeeded" }),
  rollback: (input) => ({
    kind: "rolled-back",
    reason: String(stepCheckOf(input)?.reason ?? "guarding alarm in ALARM"),
  }),
  abandon: (input) => {
    const error = (input as { error?: { Error?: string } }).error;
    return { kind: "abandoned", ...(error?.Error ? { reason: error.Error } : {}) };
  },
};

/** The deploy input fields the reports read (the trigger adds them; absent in older inputs). */
export interface ReportingInput {
  readonly notifyWebhookUrl?: string | null;
}

/**
 * The reporting fields of a deploy input, from the config and the triggering event: the
 * deployment's webhook and the GitHub write-back (self-contained: a console replay reports
 * to the same places).
 */
export function reportingInput(deployment: Deployment, event: BusEvent) {
  const d = deployment as { notify?: { webhookUrl?: string }; github?: Deployment["github"] };
  const github = githubStatusInput(d.github?.statuses, event);
  return {
    ...(d.notify?.webhookUrl ? { notifyWebhookUrl: d.notify.webhookUrl } : {}),
    ...(github ? { github } : {}),
  };
}

/** Where an operator's notice about a deployment goes: the topic and the deployment's webhook. */
export function noticeTargets(config: Config, deployment: string): NoticeTargets {
  const d = config.deployments.find((x) => x.name === deployment) as
    | { notify?: { webhookUrl?: string } }
    | undefined;
  return { topicArn: config.notifications.topicArn, webhookUrl: d?.notify?.webhookUrl ?? null };
}

/**
 * Wraps the deploy steps so that each reported result is notified and written back to GitHub
 * after the step did its work; a report never fails the step (errors are logged). The step's
 * own SNS notices (deployed, rolled back, abandoned) stay as they were: this adds the started
 * and per-step notices, the timeline and the webhook.
 */
export function withDeployReports<S extends Record<string, (...args: never[]) => unknown>>(steps: S): S {
  const wrapped: Record<string, unknown> = {};
  for (const [action, step] of Object.entries(steps)) {
    const report = REPORTED[action];
    wrapped[action] = !report
      ? step
      : async (deps: CoreDeps, input: DeployInput, payload: DeployStepPayload) => {
          const out = await (step as unknown as (...a: unknown[]) => Promise<unknown>)(deps, input, payload);
          const what = report(input, value(out));
          if (what) await reportStep(deps, input, payload, what);
          return out;
        };
  }
  return wrapped as S;
}

async function reportStep(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  what: NonNullable<StepReport>,
) {
  const breakGlass = input.trigger.detailType === BREAK_GLASS_DEPLOY;
  const webhookUrl = (input as ReportingInput).notifyWebhookUrl ?? null;
  // The terminal SNS notices come from the steps themselves: the webhook carries these.
  const terminal = what.kind !== "started" && what.kind !== "step";
  try {
    await deployNotice(
      deps,
      { topicArn: terminal ? null : input.notifyTopicArn, webhookUrl },
      {
        kind: what.kind,
        deployment: input.deployment,
        image: input.imageUri,
        executionArn: payload.execution,
        ...(what.reason ? { reason: what.reason } : {}),
        ...(what.step ? { step: what.step } : {}),
        ...(breakGlass ? { breakGlass } : {}),
      },
    );
    await githubWriteBack(deps, input, payload, what.kind);
  } catch (error) {
    logger.warn("deploy report not sent", { kind: what.kind, error: (error as Error).name });
  }
}
