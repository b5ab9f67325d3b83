import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { type Config, loadConfig, parseConfig } from "@switchyard/core/config/index";
import { decideApproval } from "@switchyard/core/cost/approval";
import { answerApproval as approveFailover } from "@switchyard/core/failover/approval";
import { startFailback } from "@switchyard/core/failover/operator";
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
  /** A config of its own (an example under examples/), instead of the one the command was given. */
  readonly config?: () => Promise<Config>;
}

const example = (path: string) => fileURLToPath(new URL(`../../../examples/${path}`, import.meta.url));
const exampleEvents = (path: string) => JSON.parse(readFileSync(example(path), "utf8")) as unknown[];

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
  {
    name: "ignition-cost",
    summary:
      "examples/ignition-cost: ECS, RDS and ElastiCache anomalies graded into notice / act / critical; approve, resolve, revert",
    config: () => loadConfig(example("ignition-cost/switchyard.config.ts")),
    async run(a) {
      const { lambda, events } = a.plane.account;
      lambda.tagFunction("ignition-dispatcher", { environment: "staging", team: "ignition" });
      const { rds, region } = a.plane.account;
      rds.seedInstance({ id: "ignition-staging-db", region, tags: { environment: "staging" } });
      rds.seedInstance({ id: "ignition-prod-db", region, tags: { environment: "production" } });
      events.addScheduledRule({
        name: "ignition-etl-nightly",
        schedule: "cron(0 2 * * ? *)",
        tags: { environment: "dev" },
      });
      events.addScheduledRule({
        name: "ignition-prod-backup",
        schedule: "rate(1 hour)",
        tags: { environment: "production" },
      });
      for (const event of exampleEvents("ignition-cost/alerts/day-one.json"))
        await a.plane.deliver(event as never);
      a.say(`dispatcher reserved concurrency: ${lambda.reservedConcurrency("ignition-dispatcher")}`);
      await decideApproval(a.plane.context, "a1e5c0de-0002-4c3e-9d5e-1c2d3e4f5a6b", "approve", "scenario");
      await a.plane.settle();
      a.say(
        `after approval: ignition-etl-nightly ${events.ruleState("ignition-etl-nightly")}, ignition-prod-backup ${events.ruleState("ignition-prod-backup")}`,
      );
      a.say(
        `after approval: ignition-staging-db ${rds.describe("ignition-staging-db")?.status}, ignition-prod-db ${rds.describe("ignition-prod-db")?.status}`,
      );
      for (const event of exampleEvents("ignition-cost/alerts/ecs-resolved.json"))
        await a.plane.deliver(event as never);
      a.say(
        `ECS resolved: dispatcher reserved concurrency ${lambda.reservedConcurrency("ignition-dispatcher") ?? "unreserved"}`,
      );
      await a.runOut();
    },
    expect(r) {
      const f: string[] = [];
      const said = (decision: string, text: string) =>
        r.audit.some((x) => x.decision === decision && x.reason.includes(text));
      check(
        f,
        said("applied", "capped ignition-dispatcher at 1"),
        "the ECS act tier should cap the dispatcher",
      );
      check(
        f,
        said("reverted", "the anomaly was resolved: ignition-dispatcher back"),
        "resolving ECS should revert the cap",
      );
      check(
        f,
        said("applied", "disabled rule ignition-etl-nightly"),
        "the approved RDS tier should disable the nightly ETL",
      );
      check(
        f,
        said("protected", "ignition-prod-backup is tagged environment=production"),
        "the production backup must stay untouched",
      );
      check(
        f,
        said("applied", "stopped DB instance ignition-staging-db") &&
          !r.audit.some((x) => x.reason.includes("ignition-prod-db")),
        "the approved RDS tier should stop the staging database and not even select the production one",
      );
      check(
        f,
        said("reverted", "DB instance ignition-staging-db started again"),
        "the TTL should start the staging database again",
      );
      check(
        f,
        r.audit.filter((x) => x.decision === "started").length === 3,
        "one response per anomaly: three in all",
      );
      return f;
    },
  },
  {
    name: "ignition-failover",
    summary:
      "examples/ignition-failover: health-check alarm → approval → promote, scale, configure, DNS (INSYNC), verify → report; then fail back",
    config: () => loadConfig(example("ignition-failover/switchyard.config.ts")),
    async run(a) {
      await a.alarm(
        "ignition-primary-health",
        "ALARM",
        "Route 53 health check of the us-east-1 endpoint failing",
      );
      await a.runOut();
      a.say("the failover waits for a human; on-call approves");
      await approveFailover(a.plane.context, "ignition", {
        approve: true,
        by: "oncall@ignition.example.com",
      });
      await a.runOut();
      const { rds, route53 } = a.plane.account;
      a.say(`ignition-db-usw2: ${JSON.stringify(rds.describe("ignition-db-usw2"))}`);
      a.say(
        `api.ignition.example.com → ${route53.recordValues("Z1D633PJN98FT9", "api.ignition.example.com", "CNAME")}`,
      );
      a.say("us-east-1 is back: restore and fail back (a new replica in us-east-1, promoted once in sync)");
      await startFailback(a.plane.context, a.plane.config, {
        runbook: "ignition",
        stateMachineArn: a.plane.account.arn("states", "stateMachine:switchyard-failback"),
        dryRun: false,
        by: "oncall@ignition.example.com",
      });
      await a.runOut();
      await approveFailover(a.plane.context, "ignition", {
        approve: true,
        by: "oncall@ignition.example.com",
      });
      await a.runOut();
      a.say(
        `api.ignition.example.com → ${route53.recordValues("Z1D633PJN98FT9", "api.ignition.example.com", "CNAME")}`,
      );
    },
    expect(r) {
      const f: string[] = [];
      const said = (decision: string, text = "") =>
        r.audit.some((x) => x.decision === decision && x.reason.includes(text));
      check(f, said("approval-requested"), "the failover should ask for approval");
      check(
        f,
        said("approved", "oncall@ignition.example.com"),
        "the approval should be recorded with who gave it",
      );
      check(f, said("failed-over", "us-east-1 → us-west-2"), "the report should say the failover finished");
      check(f, said("failed-back", "us-west-2 → us-east-1"), "the failback should finish and report");
      check(
        f,
        r.executions.some((e) => e.status === "SUCCEEDED" && e.name.startsWith("ignition-")),
        "the failover execution should succeed",
      );
      return f;
    },
  },
  {
    name: "database-failure",
    summary:
      "examples/database-failure: DB alarm + AWS Health issue agree → auto-approved: activate replica, update configuration, verify",
    config: () => loadConfig(example("database-failure/switchyard.config.ts")),
    async run(a) {
      for (const event of exampleEvents("database-failure/events/rds-health-issue.json"))
        await a.plane.deliver(event as never);
      a.say(
        "AWS Health reports an RDS issue in us-east-1: one signal, so the failover it starts waits for a human",
      );
      a.say(
        "then the database alarm fires: two independent signals agree, and the waiting failover is approved",
      );
      await a.alarm("orders-db-health", "ALARM", "orders database connections failing");
      await a.runOut();
      a.say(`/orders/database-host = ${a.plane.account.ssm.value("/orders/database-host")}`);
    },
    expect(r) {
      const f: string[] = [];
      const said = (decision: string, text = "") =>
        r.audit.some((x) => x.decision === decision && x.reason.includes(text));
      check(
        f,
        said("approved", "auto: alarm orders-db-health and AWS Health"),
        "the second signal should approve the waiting failover",
      );
      check(
        f,
        said("failed-over", "us-east-1 → us-east-2"),
        "the replica should be activated and the report written",
      );
      check(f, r.executions.length === 1, "the second signal must not start a second failover");
      return f;
    },
  },
  {
    name: "aurora-global-failover",
    summary:
      "examples/aurora-global-failover: health-check alarm → approval → FailoverGlobalCluster (data loss allowed), configure → report; then a planned switchover back",
    config: () => loadConfig(example("aurora-global-failover/switchyard.config.ts")),
    async run(a) {
      await a.alarm(
        "payments-primary-health",
        "ALARM",
        "Route 53 health check of the eu-west-1 endpoint failing",
      );
      await a.runOut();
      a.say("the primary is impaired: on-call approves an unplanned failover of the global database");
      await approveFailover(a.plane.context, "payments", {
        approve: true,
        by: "oncall@payments.example.com",
      });
      await a.runOut();
      a.say(
        `payments-global: ${JSON.stringify(a.plane.account.rds.describeGlobalCluster("payments-global"))}`,
      );
      a.say("eu-west-1 is healthy again: fail back by a planned switchover");
      await startFailback(a.plane.context, a.plane.config, {
        runbook: "payments",
        stateMachineArn: a.plane.account.arn("states", "stateMachine:switchyard-failback"),
        dryRun: false,
        by: "oncall@payments.example.com",
      });
      await a.runOut();
      await approveFailover(a.plane.context, "payments", {
        approve: true,
        by: "oncall@payments.example.com",
      });
      await a.runOut();
      a.say(
        `payments-global: ${JSON.stringify(a.plane.account.rds.describeGlobalCluster("payments-global"))}`,
      );
    },
    expect(r) {
      const f: string[] = [];
      const said = (decision: string, text = "") =>
        r.audit.some((x) => x.decision === decision && x.reason.includes(text));
      check(f, said("failed-over", "eu-west-1 → eu-central-1"), "the global database should fail over");
      check(f, said("failed-back", "eu-central-1 → eu-west-1"), "the global database should switch back");
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
  const parsed = scenario.config ? await scenario.config() : isConfig(config) ? config : parseConfig(config);
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
