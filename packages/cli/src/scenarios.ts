import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { type Config, parseConfig } from "@switchyard/core/config/index";
import { type AuditRecord, listAudit, writeControl } from "@switchyard/core/store/state";
import { type ControlPlane, isConfig, startControlPlane } from "./local/control-plane.ts";
import { executionOutcome, transitions } from "./replay.ts";
import { attachTimeline } from "./timeline.ts";

export interface ScenarioResult {
  name: string;
  passed: boolean;
  failures: string[];
  aliases: Record<string, { version: string; weights: Record<string, number> }>;
  executions: { name: string; status: string; outcome: string; transitions: number }[];
  audit: AuditRecord[];
  timeline: string[];
}

interface Actions {
  readonly plane: ControlPlane;
  /** Pushes a new image for a deployment's repository:tag (ECR emits the push event). */
  push(deployment: string): Promise<string>;
  /** Completes the basic scan of a digest with these finding counts (ECR emits the scan event). */
  scan(deployment: string, digest: string, counts: Record<string, number>): Promise<void>;
  /** Sets an alarm's state through CloudWatch's API (CloudWatch emits the state change event). */
  alarm(name: string, state: "OK" | "ALARM" | "INSUFFICIENT_DATA", reason: string): Promise<void>;
  /** Moves the virtual clock forward, running what falls due. */
  advance(seconds: number): Promise<void>;
  /** Runs timers out until executions end or wait for a human. */
  runOut(): Promise<void>;
  say(text: string): void;
}

interface Scenario {
  readonly name: string;
  readonly summary: string;
  readonly run: (a: Actions) => Promise<void>;
  /** Checks what the world looks like afterwards: one message per unmet expectation. */
  readonly expect: (r: Omit<ScenarioResult, "passed" | "failures">) => string[];
}

const check = (failures: string[], ok: boolean, message: string) => {
  if (!ok) failures.push(message);
};
const alias = (r: Omit<ScenarioResult, "passed" | "failures">, key = "api-handler:live") => r.aliases[key];
const outcomes = (r: Omit<ScenarioResult, "passed" | "failures">) => r.executions.map((e) => e.outcome);

const scenarios: readonly Scenario[] = [
  {
    name: "canary-rollback",
    summary:
      "push → scan passes → 10% canary → guarding alarm fires → alias back on the stable version in the same second",
    async run(a) {
      const digest = await a.push("api");
      await a.scan("api", digest, { LOW: 2 });
      await a.advance(60);
      await a.alarm(
        "ServerCpuTooHigh",
        "ALARM",
        "Threshold Crossed: 1 datapoint [92.0] was greater than the threshold (80.0)",
      );
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(
        f,
        alias(r)?.version === "1" && Object.keys(alias(r)?.weights ?? {}).length === 0,
        `alias should be 100% on version 1, is ${JSON.stringify(alias(r))}`,
      );
      check(
        f,
        outcomes(r).join() === "rolled-back",
        `deploy should end rolled-back, ended ${outcomes(r).join()}`,
      );
      return f;
    },
  },
  {
    name: "clean-canary",
    summary: "push → scan passes → 10% for 5 minutes with the alarm OK → 100% on the new version",
    async run(a) {
      const digest = await a.push("api");
      await a.scan("api", digest, {});
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(
        f,
        alias(r)?.version === "2" && Object.keys(alias(r)?.weights ?? {}).length === 0,
        `alias should be 100% on version 2, is ${JSON.stringify(alias(r))}`,
      );
      check(f, outcomes(r).join() === "deployed", `deploy should end deployed, ended ${outcomes(r).join()}`);
      return f;
    },
  },
  {
    name: "linear-deploy",
    summary: "worker: custom steps 10→25→50→75→100 with a minute between steps and both alarms OK",
    async run(a) {
      await a.push("worker");
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(
        f,
        alias(r, "queue-worker:live")?.version === "2",
        `worker alias should be on version 2, is ${JSON.stringify(alias(r, "queue-worker:live"))}`,
      );
      const shifts = r.audit.filter((x) => x.decision === "shifted").map((x) => x.reason.split("%")[0]);
      check(
        f,
        shifts.join() === "10,25,50,75,100",
        `shifts should be 10,25,50,75,100, were ${shifts.join()}`,
      );
      return f;
    },
  },
  {
    name: "scan-blocked",
    summary: "push → the scan finds a CRITICAL vulnerability → the deploy is blocked, the alias is untouched",
    async run(a) {
      const digest = await a.push("api");
      await a.scan("api", digest, { CRITICAL: 1, HIGH: 3 });
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(
        f,
        alias(r)?.version === "1" && Object.keys(alias(r)?.weights ?? {}).length === 0,
        "alias should be untouched on version 1",
      );
      check(f, outcomes(r).join() === "blocked", `deploy should end blocked, ended ${outcomes(r).join()}`);
      return f;
    },
  },
  {
    name: "insufficient-data-hold",
    summary:
      "the guarding alarm has INSUFFICIENT_DATA before the 100% step: the step holds until the alarm is OK again",
    async run(a) {
      const digest = await a.push("api");
      await a.scan("api", digest, {});
      await a.advance(120);
      await a.alarm("ServerCpuTooHigh", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown");
      await a.advance(600);
      a.say(`after 12 minutes the alias is still ${JSON.stringify(a.plane.aliases()["api-handler:live"])}`);
      await a.alarm("ServerCpuTooHigh", "OK", "Threshold Crossed: back under the threshold");
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(
        f,
        r.audit.some((x) => x.decision === "held"),
        "the audit log should record the hold",
      );
      check(f, alias(r)?.version === "2", `alias should end on version 2, is ${JSON.stringify(alias(r))}`);
      return f;
    },
  },
  {
    name: "duplicate-push",
    summary: "EventBridge delivers the same push event twice: exactly one deployment",
    async run(a) {
      const digest = await a.push("api");
      const push = a.plane.account.events.deliveries.find(
        (d) => d.event["detail-type"] === "ECR Image Action",
      );
      if (!push) throw new Error("the push event was not delivered");
      await a.plane.deliver(push.event);
      await a.scan("api", digest, {});
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(f, r.executions.length === 1, `exactly one execution should exist, found ${r.executions.length}`);
      check(
        f,
        r.audit.some((x) => x.decision === "duplicate"),
        "the duplicate should be audited",
      );
      return f;
    },
  },
  {
    name: "kill-switch",
    summary: "automation is paused: a push is recorded as 'did nothing, because paused' and nothing changes",
    async run(a) {
      await writeControl(a.plane.store, { paused: true, reason: "incident 4711", by: "scenario" });
      await a.push("api");
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      check(f, r.executions.length === 0, "no execution should start while paused");
      check(
        f,
        r.audit.some((x) => x.decision === "no-action" && x.reason.includes("paused")),
        "the audit log should say why nothing was done",
      );
      return f;
    },
  },
];

export function listScenarios(): { name: string; summary: string }[] {
  return scenarios.map(({ name, summary }) => ({ name, summary }));
}

/** Plays one built-in scenario on a fresh simulated account. */
export async function playScenario(
  name: string,
  config: Config | unknown,
  options: { live?: (line: string) => void } = {},
): Promise<ScenarioResult> {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario)
    throw new Error(`unknown scenario "${name}"; run \`switchyard scenario --list\` to see them`);
  const parsed = isConfig(config) ? config : parseConfig(config);
  const plane = await startControlPlane(parsed);
  const timeline: string[] = [];
  attachTimeline(plane, (line) => {
    timeline.push(line);
    options.live?.(line);
  });
  const say = (text: string) => {
    const line = `         ${"note".padEnd(14)} ${text}`;
    timeline.push(line);
    options.live?.(line);
  };
  const deployment = (n: string) => {
    const d = parsed.deployments.find((x) => x.name === n);
    if (!d?.image?.tag)
      throw new Error(
        `scenario ${name} needs a deployment "${n}" with an image repository and tag in the config`,
      );
    return { repository: d.image.repository, tag: d.image.tag };
  };
  let pushes = 0;
  const actions: Actions = {
    plane,
    say,
    async push(n) {
      const image = deployment(n);
      const digest = plane.account.ecr.pushImage(image.repository, image.tag, `${name}-${n}-${++pushes}`);
      await plane.settle();
      return digest;
    },
    async scan(n, digest, counts) {
      plane.account.ecr.completeScan(deployment(n).repository, digest, counts);
      await plane.settle();
    },
    async alarm(alarmName, state, reason) {
      await plane.clients.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: reason }),
      );
      await plane.settle();
    },
    async advance(seconds) {
      await plane.settle();
      const until = plane.account.clock.now() + seconds * 1000;
      while (
        plane.account.clock.pending()[0] &&
        (plane.account.clock.pending()[0]?.at ?? Infinity) <= until
      ) {
        plane.account.clock.advance();
        await plane.settle();
      }
      plane.account.clock.tick(Math.max(0, until - plane.account.clock.now()));
      await plane.settle();
    },
    runOut: () => plane.runOut(),
  };
  try {
    await scenario.run(actions);
    const result = {
      name,
      aliases: plane.aliases(),
      executions: plane.account.sfn.executions().map((e) => ({
        name: e.name,
        status: e.status,
        outcome: executionOutcome(e),
        transitions: transitions(e),
      })),
      audit: await listAudit(plane.store),
      timeline,
    };
    const failures = scenario.expect(result);
    return { ...result, passed: failures.length === 0, failures };
  } finally {
    await plane.close();
  }
}
