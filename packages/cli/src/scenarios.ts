import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { type Config, loadConfig, parseConfig } from "@switchyard/core/config/index";
import { decideApproval } from "@switchyard/core/cost/approval";
import { decideDeployApproval } from "@switchyard/core/deployments/gates";
import { type BusEvent, BusEventEnvelope } from "@switchyard/core/events/envelope";
import { answerApproval as approveFailover } from "@switchyard/core/failover/approval";
import { startFailback } from "@switchyard/core/failover/operator";
import { listAudit, writeControl } from "@switchyard/core/store/state";
import { type ControlPlane, isConfig, startControlPlane } from "./local/control-plane.ts";
import { executionOutcome, transitions } from "./replay.ts";
import { scenarios } from "./scenarios/built-in.ts";
import { seedHookFunctions } from "./scenarios/deploy-hooks.ts";
import { type Outcome, type Scenario, type Step, unmet, type World } from "./scenarios/vocabulary.ts";
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
  const parsed = scenario.example
    ? await loadConfig(example(`${scenario.example}/switchyard.config.ts`))
    : isConfig(config)
      ? config
      : parseConfig(config);
  // A scenario that delivers recorded events runs at their time, as replay does: measured from
  // the run's start, a report would otherwise count the years between the recording and the run.
  const start = recordedStart(scenario);
  const plane = await startControlPlane(parsed, start === undefined ? {} : { start });
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
    seed(plane, scenario.world ?? {});
    const take = player(scenario.name, plane, note);
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
    };
    const failures = scenario.expect.flatMap((e) => unmet(e, outcome) ?? []);
    return { name: scenario.name, ...outcome, timeline, entries, passed: failures.length === 0, failures };
  } finally {
    await plane.close();
  }
}

function seed(plane: ControlPlane, world: World): void {
  const { account } = plane;
  for (const [fn, tags] of Object.entries(world.functionTags ?? {})) account.lambda.tagFunction(fn, tags);
  for (const { id, tags } of world.databases ?? [])
    account.rds.seedInstance({ id, region: account.region, tags });
  for (const rule of world.schedules ?? []) account.events.addScheduledRule(rule);
  seedHookFunctions(plane, world.hookFunctions ?? {});
}

/** Takes a scenario's steps on one control plane, remembering the image each deployment pushed last. */
function player(scenario: string, plane: ControlPlane, note: (message: string) => void) {
  const digests = new Map<string, string>();
  let pushes = 0;
  const image = (deployment: string) => {
    const d = plane.config.deployments.find((x) => x.name === deployment);
    if (!d?.image?.tag)
      throw new Error(
        `scenario ${scenario} needs a deployment "${deployment}" with an image repository and tag in the config`,
      );
    return { repository: d.image.repository, tag: d.image.tag };
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

  return async function take(step: Step): Promise<void> {
    switch (step.do) {
      case "push": {
        const { repository, tag } = image(step.deployment);
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
      case "say":
        note(typeof step.text === "string" ? step.text : step.text(plane));
        return;
    }
  };
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
