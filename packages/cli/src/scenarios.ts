import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { sign } from "@octokit/webhooks-methods";
import { type Config, loadConfig, parseConfig } from "@switchyard/core/config/index";
import { decideApproval } from "@switchyard/core/cost/approval";
import { decideDeployApproval } from "@switchyard/core/deployments/gates";
import { operateDeployment } from "@switchyard/core/deployments/operator";
import { type BusEvent, BusEventEnvelope } from "@switchyard/core/events/envelope";
import { answerApproval as approveFailover } from "@switchyard/core/failover/approval";
import { startFailback } from "@switchyard/core/failover/operator";
import { listAudit, writeControl } from "@switchyard/core/store/state";
import { make as makeRotationFunction } from "@switchyard/functions/rotate";
import type { Context } from "aws-lambda";
import { type ControlPlane, isConfig, LOCAL_NAMES, startControlPlane } from "./local/control-plane.ts";
import { executionOutcome, transitions } from "./replay.ts";
import { scenarios } from "./scenarios/built-in.ts";
import { seedHookFunctions } from "./scenarios/deploy-hooks.ts";
import { startFunctionUrl, startGithubApi } from "./scenarios/github.ts";
import {
  type GithubPayload,
  type Notice,
  type Outcome,
  type Scenario,
  type SecretOutcome,
  type Step,
  unmet,
  type World,
} from "./scenarios/vocabulary.ts";
import { startWebhook } from "./scenarios/webhook.ts";
import { attachTimeline, type TimelineEntry, timelineLine } from "./timeline.ts";

export interface ScenarioResult extends Outcome {
  name: string;
  passed: boolean;
  /** One message for each expectation the world did not meet. */
  failures: string[];
  /** The lines printed (no-action lines of unrelated reactions only with `verbose`). */
  timeline: string[];
  /** Everything that happened, structured: the `--json` timeline. */
  entries: TimelineEntry[];
}

export interface PlayOptions {
  /** Each printed line, as it happens. */
  live?: (line: string) => void;
  /** Also print the no-action lines of reactions an event did not concern. */
  verbose?: boolean;
}

const example = (path: string) => fileURLToPath(new URL(`../../../examples/${path}`, import.meta.url));

export function listScenarios(): { name: string; summary: string }[] {
  return scenarios.map(({ name, summary }) => ({ name, summary }));
}

/** Plays one built-in scenario on a fresh simulated account. */
export async function playScenario(
  name: string,
  config: Config | unknown,
  options: PlayOptions = {},
): Promise<ScenarioResult> {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario)
    throw new Error(`unknown scenario "${name}"; run \`switchyard scenario --list\` to see them`);
  return runScenario(scenario, config, options);
}

/**
 * Plays a scenario on a fresh simulated account: seeds its world, takes its steps in order while
 * the timeline records what happens, then checks every expectation (one failure message for
 * each that the world does not meet).
 */
export async function runScenario(
  scenario: Scenario,
  config: Config | unknown,
  options: PlayOptions = {},
): Promise<ScenarioResult> {
  const loaded = scenario.example
    ? await loadConfig(example(`${scenario.example}/switchyard.config.ts`))
    : isConfig(config)
      ? config
      : parseConfig(config);
  const world = scenario.world ?? {};
  // Servers the scenario's world needs (GitHub's API, the receiver's function URL), closed at the end.
  const servers: { close(): Promise<void> }[] = [];
  const configured = scenario.configure ? scenario.configure(loaded) : loaded;
  const github = world.github ? await startGithub(configured, world) : undefined;
  if (github) servers.push(github);
  const webhook = world.webhook ? await startWebhook() : undefined;
  if (webhook) servers.push(webhook);
  const parsed = pointAtServers(
    configured,
    github?.url,
    webhook && { deployments: world.webhook?.deployments ?? [], url: webhook.url },
  );
  // A scenario that delivers recorded events runs at their time, as replay does: measured from
  // the run's start, a report would otherwise count the years between the recording and the run.
  const start = recordedStart(scenario);
  const plane = await startControlPlane(parsed, {
    ...(start === undefined ? {} : { start }),
    ...(world.secretValues ? { secretValues: world.secretValues } : {}),
  });
  const timeline: string[] = [];
  const entries: TimelineEntry[] = [];
  const { note } = attachTimeline(plane, (entry) => {
    entries.push(entry);
    if (entry.unrelated && !options.verbose) return;
    const line = timelineLine(entry);
    timeline.push(line);
    options.live?.(line);
  });
  try {
    seed(plane, world);
    const initial = await secretVersions(plane);
    const take = player(scenario.name, plane, note, servers);
    for (const step of scenario.steps) await take(step);
    const outcome: Outcome = {
      aliases: plane.aliases(),
      executions: plane.account.sfn.executions().map((e) => ({
        name: e.name,
        status: e.status,
        outcome: executionOutcome(e),
        transitions: transitions(e),
      })),
      audit: await listAudit(plane.store),
      secrets: await secretOutcomes(plane, initial),
      ...(github
        ? {
            github: github.updates.map(({ path, body }) => ({ path, body })),
            githubStatuses: [...github.statuses],
          }
        : {}),
      notices: [
        ...plane.account.sns
          .published()
          .map((m): Notice => ({ channel: "sns", headline: m.Subject ?? "", text: m.Message })),
        ...(webhook?.posts ?? []).map(
          (p): Notice => ({ channel: "webhook", headline: p.blocks[0]?.text.text ?? "", text: p.text }),
        ),
      ],
    };
    const failures = scenario.expect.flatMap((e) => unmet(e, outcome) ?? []);
    return { name: scenario.name, ...outcome, timeline, entries, passed: failures.length === 0, failures };
  } finally {
    await plane.close();
    await Promise.all(servers.map((s) => s.close()));
  }
}

/**
 * GitHub's API for the world's alerts and the deployments' statuses, answering to the token
 * Secrets Manager will hold (secret scanning's, or a deployment's write-back token).
 */
async function startGithub(config: Config, world: World) {
  const tokenSecret =
    config.secretScanning?.tokenSecret ??
    config.deployments.find((d) => d.github?.statuses)?.github?.statuses?.tokenSecret;
  const token = tokenSecret ? world.secretValues?.[tokenSecret] : undefined;
  if (!token)
    throw new Error(
      "a scenario with a GitHub API needs secretScanning.tokenSecret (or a deployment's github.statuses.tokenSecret) in its config and that secret's value in world.secretValues",
    );
  return startGithubApi({
    token,
    alerts: [...(world.github?.alerts ?? [])],
    ...(world.github?.failWrites ? { failWrites: world.github.failWrites } : {}),
  });
}

/** The config with GitHub's API and the notices' webhook pointed at the world's local servers. */
function pointAtServers(
  config: Config,
  githubUrl: string | undefined,
  webhook: { deployments: readonly string[]; url: string } | undefined,
): Config {
  return {
    ...config,
    ...(githubUrl && config.secretScanning
      ? { secretScanning: { ...config.secretScanning, apiUrl: githubUrl } }
      : {}),
    deployments: config.deployments.map((d) => ({
      ...d,
      ...(githubUrl && d.github?.statuses
        ? { github: { ...d.github, statuses: { ...d.github.statuses, apiUrl: githubUrl } } }
        : {}),
      ...(webhook?.deployments.includes(d.name) ? { notify: { webhookUrl: webhook.url } } : {}),
    })),
  };
}

/** The version each configured secret holds AWSCURRENT, by secret name. */
async function secretVersions({ clients, config }: ControlPlane): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of config.secrets) {
    const d = await clients.secrets.send(new DescribeSecretCommand({ SecretId: s.secretId }));
    const current = Object.entries(d.VersionIdsToStages ?? {}).find(([, l]) => l.includes("AWSCURRENT"));
    if (current) out.set(s.name, current[0]);
  }
  return out;
}

async function secretOutcomes(
  { account, clients, config }: ControlPlane,
  initial: Map<string, string>,
): Promise<Record<string, SecretOutcome>> {
  const out: Record<string, SecretOutcome> = {};
  for (const s of config.secrets) {
    const first = initial.get(s.name);
    if (!first) continue;
    const d = await clients.secrets.send(new DescribeSecretCommand({ SecretId: s.secretId }));
    out[s.name] = {
      initial: first,
      stages: d.VersionIdsToStages ?? {},
      rotations: account.secrets.rotations
        .filter((r) => r.secret === d.Name)
        .map((r) => ({ token: r.token, steps: [...r.steps], ...(r.error ? { failed: r.error.step } : {}) })),
    };
  }
  return out;
}

function seed(plane: ControlPlane, world: World): void {
  const { account } = plane;
  for (const [fn, tags] of Object.entries(world.functionTags ?? {})) account.lambda.tagFunction(fn, tags);
  for (const { id, tags } of world.databases ?? [])
    account.rds.seedInstance({ id, region: account.region, tags });
  for (const rule of world.schedules ?? []) account.events.addScheduledRule(rule);
  for (const [name, { rotator, field }] of Object.entries(world.rotationFunctions ?? {})) {
    const owned = plane.config.secrets.filter((s) => s.rotationFunction?.split(":").at(-1) === name);
    // The secret's own function, as its owner wrote it: the four steps, on the secret's field.
    const config = parseConfig({
      secrets: owned.map((s) => ({ name: s.name, secretId: s.secretId, rotator, options: { field } })),
    });
    const handler = makeRotationFunction(() => ({ ...plane.context, config }));
    account.lambda.registerHandler(name, (event, ctx) => handler(event, ctx as unknown as Context));
  }
  seedHookFunctions(plane, world.hookFunctions ?? {});
}

/** Takes a scenario's steps on one control plane, remembering the image each deployment pushed last. */
function player(
  scenario: string,
  plane: ControlPlane,
  note: (message: string) => void,
  servers: { close(): Promise<void> }[],
) {
  const digests = new Map<string, string>();
  let pushes = 0;
  const image = (deployment: string, withTag = true) => {
    const d = plane.config.deployments.find((x) => x.name === deployment);
    if (!d?.image || (withTag && !d.image.tag))
      throw new Error(
        `scenario ${scenario} needs a deployment "${deployment}" with an image repository and tag in the config`,
      );
    return { repository: d.image.repository, tag: d.image.tag ?? "" };
  };
  /** Moves the virtual clock forward, running each timer that falls due on the way. */
  const advance = async (seconds: number) => {
    const { clock } = plane.account;
    await plane.settle();
    const until = clock.now() + seconds * 1000;
    while ((clock.pending()[0]?.at ?? Infinity) <= until) {
      clock.advance();
      await plane.settle();
    }
    clock.tick(Math.max(0, until - clock.now()));
    await plane.settle();
  };
  let receiver: Awaited<ReturnType<typeof startFunctionUrl>> | undefined;
  /** The webhook receiver behind a function URL: a real HTTP server, started on the first delivery. */
  const receiverUrl = async () => {
    if (!receiver) {
      receiver = await startFunctionUrl((event) =>
        plane.account.lambda.invoke(`${LOCAL_NAMES.functionPrefix}github-webhook`, event, {
          principal: "function-url",
        }),
      );
      servers.push(receiver);
    }
    return receiver.url;
  };

  return async function take(step: Step): Promise<void> {
    switch (step.do) {
      case "push": {
        const { repository, tag } = step.tag
          ? { repository: image(step.deployment, false).repository, tag: step.tag }
          : image(step.deployment);
        const content = `${scenario}-${step.deployment}-${++pushes}`;
        digests.set(step.deployment, plane.account.ecr.pushImage(repository, tag, content));
        return plane.settle();
      }
      case "scan": {
        const digest = digests.get(step.deployment);
        if (!digest) throw new Error(`scenario ${scenario} scans ${step.deployment} before pushing it`);
        plane.account.ecr.completeScan(image(step.deployment).repository, digest, step.findings);
        return plane.settle();
      }
      case "alarm":
        await plane.clients.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: step.alarm,
            StateValue: step.state,
            StateReason: step.reason,
          }),
        );
        return plane.settle();
      case "deliver":
        for (const event of exampleEvents(step.file)) await plane.deliver(event);
        return;
      case "redeliver": {
        const first = plane.account.events.deliveries.find((d) => d.event["detail-type"] === step.detailType);
        if (!first) throw new Error(`the ${step.detailType} event was not delivered`);
        await plane.deliver(first.event);
        return;
      }
      case "pause":
        await writeControl(plane.store, { paused: true, reason: step.reason, by: "scenario" });
        return;
      case "advance":
        return advance(step.seconds);
      case "runOut":
        return plane.runOut();
      case "approve":
        if ("anomaly" in step) await decideApproval(plane.context, step.anomaly, "approve", step.by);
        else await approveFailover(plane.context, step.runbook, { approve: true, by: step.by });
        return plane.settle();
      case "answer":
        await decideDeployApproval(plane.context, step.deployment, step.decision, step.by, step.reason);
        return plane.settle();
      case "failBack":
        await startFailback(plane.context, plane.config, {
          runbook: step.runbook,
          stateMachineArn: plane.context.failbackStateMachineArn,
          dryRun: false,
          by: step.by,
        });
        return plane.settle();
      case "operate": {
        const { action, pushTag } = step;
        if (pushTag) {
          const repository = plane.config.deployments.find((d) => d.name === action.deployment)?.image
            ?.repository;
          if (!repository)
            throw new Error(`scenario ${scenario} pushes for ${action.deployment}, which has no repository`);
          plane.account.ecr.pushImage(repository, pushTag, `${scenario}-${pushTag}-${++pushes}`);
          await plane.settle();
        }
        const out = await operateDeployment(plane.context, { by: "scenario", ...action });
        note(`operator ${action.verb} ${action.deployment}: ${out.outcome}: ${out.detail}`);
        return plane.settle();
      }
      case "say":
        note(typeof step.text === "string" ? step.text : await step.text(plane));
        return;
      case "rotationDue": {
        const secret = plane.config.secrets.find((s) => s.name === step.secret);
        if (!secret)
          throw new Error(`scenario ${scenario} rotates "${step.secret}", which the config does not name`);
        const d = await plane.clients.secrets.send(new DescribeSecretCommand({ SecretId: secret.secretId }));
        if (!d.NextRotationDate)
          throw new Error(`scenario ${scenario}: ${step.secret} has no rotation schedule to come due`);
        await advance(Math.max(0, (d.NextRotationDate.getTime() - plane.account.clock.now()) / 1000));
        // Secrets Manager rotates on its own when the date it calculates from the schedule after
        // the last rotation comes due (DescribeSecret's NextRotationDate; the simulated account
        // does not run schedules, so the scenario starts it as the service would):
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
        // Rotation runs in the background in AWS; a failed step is Secrets Manager's to report, not the caller's.
        await plane.account.activity.track(() =>
          plane.clients.secrets.send(new RotateSecretCommand({ SecretId: secret.secretId })),
        );
        return plane.settle();
      }
      case "leak":
        return deliverLeak(plane, await receiverUrl());
      case "github": {
        const payload = structuredClone(githubExample("api.github.com", step.event, 0));
        step.change?.(payload);
        return deliverGithub(plane, await receiverUrl(), step.event, payload);
      }
      case "fault":
        plane.account.injectFault({
          service: step.service,
          action: step.action,
          error: step.error,
          times: step.times,
        });
        return;
      case "schedule":
        // A Scheduled Event as EventBridge sends it for a rule (AWS documents the shape:
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
        await plane.deliver({
          id: randomUUID(),
          source: "aws.events",
          "detail-type": "Scheduled Event",
          resources: [plane.account.arn("events", `rule/${LOCAL_NAMES.functionPrefix}${step.rule}`)],
          detail: {},
        } as BusEvent);
        return;
    }
  };
}

const webhookExamples = createRequire(import.meta.url)("@octokit/webhooks-examples/ghes-35/index.json") as {
  name: string;
  examples: Record<string, unknown>[];
}[];

const require = createRequire(import.meta.url);

/** Example `index` of `event` in @octokit/webhooks-examples' payloads for `host`. */
function githubExample(host: "api.github.com" | "ghes-35", event: string, index: number): GithubPayload {
  const all = (
    host === "ghes-35" ? webhookExamples : require("@octokit/webhooks-examples/api.github.com/index.json")
  ) as typeof webhookExamples;
  const example = all.find((w) => w.name === event)?.examples[index];
  if (!example) throw new Error(`@octokit/webhooks-examples has no ${event} example ${index} for ${host}`);
  return example;
}

/** GitHub's secret scanning alert (ghes-35 example 0, as "created"), delivered to the receiver. */
async function deliverLeak(plane: ControlPlane, url: string): Promise<void> {
  const example = githubExample("ghes-35", "secret_scanning_alert", 0);
  return deliverGithub(plane, url, "secret_scanning_alert", { ...example, action: "created" });
}

/**
 * POSTs a payload to the receiver as GitHub delivers it: the payload's JSON, its event name and
 * a delivery id in headers, and the body's HMAC-SHA256 under the webhook secret that Secrets
 * Manager holds (read here as GitHub holds its copy; never printed).
 */
async function deliverGithub(plane: ControlPlane, url: string, event: string, payload: GithubPayload) {
  const body = JSON.stringify(payload);
  const secret = await plane.clients.secrets.send(
    new GetSecretValueCommand({ SecretId: LOCAL_NAMES.webhookSecret }),
  );
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/1",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": await sign(secret.SecretString ?? "", body),
    },
    body,
  });
  if (!res.ok) throw new Error(`the webhook receiver answered ${res.status}: ${await res.text()}`);
  await plane.settle();
}

/** The time of the first recorded event a scenario delivers, when it delivers any. */
function recordedStart(scenario: Scenario): number | undefined {
  const first = scenario.steps.find((s) => s.do === "deliver");
  if (first?.do !== "deliver") return undefined;
  const time = Date.parse(exampleEvents(first.file)[0]?.time ?? "");
  return Number.isFinite(time) ? time : undefined;
}

/** The EventBridge events of a JSON file under examples/ (one event or an array of them). */
function exampleEvents(path: string): BusEvent[] {
  const json: unknown = JSON.parse(readFileSync(example(path), "utf8"));
  return (Array.isArray(json) ? json : [json]).map((event, i) => {
    const checked = BusEventEnvelope.safeParse(event);
    if (!checked.success)
      throw new Error(
        `examples/${path}[${i}] is not an EventBridge event: ${checked.error.issues[0]?.message}`,
      );
    return event as BusEvent;
  });
}
