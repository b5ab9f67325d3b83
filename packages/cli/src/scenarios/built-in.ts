import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { ControlPlane } from "../local/control-plane.ts";
import { analysisScenarios } from "./deploy-analysis.ts";
import { budgetScenarios } from "./deploy-budget.ts";
import { hookScenarios } from "./deploy-hooks.ts";
import { operatorScenarios } from "./deploy-operator.ts";
import { writebackScenarios } from "./deploy-writeback.ts";
import { PODINFO, PODINFO_SECRET, podinfoScenarios } from "./podinfo.ts";
import {
  advance,
  alarm,
  aliasOn,
  approve,
  auditCount,
  auditNeverMentions,
  auditSaid,
  deliver,
  executions,
  failBack,
  fault,
  leak,
  outcomes,
  pause,
  push,
  redeliver,
  rotated,
  rotationDue,
  runOut,
  type Scenario,
  say,
  scan,
  schedule,
  shifts,
  succeeded,
} from "./vocabulary.ts";

const API = "api-handler:live";
const IGNITION_DNS = ["Z1D633PJN98FT9", "api.ignition.example.com", "CNAME"] as const;
const IGNITION_ONCALL = "oncall@ignition.example.com";
const PAYMENTS_ONCALL = "oncall@payments.example.com";

/** Which version holds which staging label (version ids, shortened; never a value). */
const stagesOf =
  (secretId: string) =>
  async ({ clients }: ControlPlane): Promise<string> => {
    const d = await clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    const labels = Object.entries(d.VersionIdsToStages ?? {})
      .map(([version, stages]) => `${version.slice(0, 8)}… ${stages.join("+")}`)
      .join(", ");
    return `${secretId}: ${labels}`;
  };

/** The scenarios `switchyard scenario NAME` plays, in the order `--list` prints them. */
export const scenarios: readonly Scenario[] = [
  {
    name: "canary-rollback",
    summary:
      "push → scan passes → 10% canary → guarding alarm fires → alias back on the stable version in the same second",
    steps: [
      push("api"),
      scan("api", { LOW: 2 }),
      advance(60),
      alarm(
        "ServerCpuTooHigh",
        "ALARM",
        "Threshold Crossed: 1 datapoint [92.0] was greater than the threshold (80.0)",
      ),
      runOut(),
    ],
    expect: [aliasOn(API, "1"), outcomes("rolled-back")],
  },
  {
    name: "clean-canary",
    summary: "push → scan passes → 10% for 5 minutes with the alarm OK → 100% on the new version",
    steps: [push("api"), scan("api"), runOut()],
    expect: [aliasOn(API, "2"), outcomes("deployed")],
  },
  {
    name: "linear-deploy",
    summary: "worker: custom steps 10→25→50→75→100 with a minute between steps and both alarms OK",
    steps: [push("worker"), runOut()],
    expect: [aliasOn("queue-worker:live", "2"), shifts(10, 25, 50, 75, 100)],
  },
  {
    name: "scan-blocked",
    summary: "push → the scan finds a CRITICAL vulnerability → the deploy is blocked, the alias is untouched",
    steps: [push("api"), scan("api", { CRITICAL: 1, HIGH: 3 }), runOut()],
    expect: [aliasOn(API, "1", "alias should be untouched on version 1"), outcomes("blocked")],
  },
  {
    name: "insufficient-data-hold",
    summary:
      "the guarding alarm has INSUFFICIENT_DATA before the 100% step: the step holds until the alarm is OK again",
    steps: [
      push("api"),
      scan("api"),
      advance(120),
      alarm("ServerCpuTooHigh", "INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown"),
      advance(600),
      say((p) => `after 12 minutes the alias is still ${JSON.stringify(p.aliases()[API])}`),
      alarm("ServerCpuTooHigh", "OK", "Threshold Crossed: back under the threshold"),
      runOut(),
    ],
    expect: [auditSaid("held", "", "the audit log should record the hold"), aliasOn(API, "2")],
  },
  {
    name: "duplicate-push",
    summary: "EventBridge delivers the same push event twice: exactly one deployment",
    steps: [push("api"), redeliver("ECR Image Action"), scan("api"), runOut()],
    expect: [
      executions(1, "exactly one execution should exist"),
      auditSaid("duplicate", "", "the duplicate should be audited"),
    ],
  },
  {
    name: "kill-switch",
    summary: "automation is paused: a push is recorded as 'did nothing, because paused' and nothing changes",
    steps: [pause("incident 4711"), push("api"), runOut()],
    expect: [
      executions(0, "no execution should start while paused"),
      auditSaid("no-action", "paused", "the audit log should say why nothing was done"),
    ],
  },
  {
    name: "ignition-cost",
    summary:
      "examples/ignition-cost: ECS, RDS and ElastiCache anomalies graded into notice / act / critical; approve, resolve, revert",
    example: "ignition-cost",
    world: {
      functionTags: { "ignition-dispatcher": { environment: "staging", team: "ignition" } },
      databases: [
        { id: "ignition-staging-db", tags: { environment: "staging" } },
        { id: "ignition-prod-db", tags: { environment: "production" } },
      ],
      schedules: [
        { name: "ignition-etl-nightly", schedule: "cron(0 2 * * ? *)", tags: { environment: "dev" } },
        { name: "ignition-prod-backup", schedule: "rate(1 hour)", tags: { environment: "production" } },
      ],
    },
    steps: [
      deliver("ignition-cost/alerts/day-one.json"),
      say(
        (p) =>
          `dispatcher reserved concurrency: ${p.account.lambda.reservedConcurrency("ignition-dispatcher")}`,
      ),
      approve({ anomaly: "a1e5c0de-0002-4c3e-9d5e-1c2d3e4f5a6b", by: "scenario" }),
      say(
        ({ account: { events } }) =>
          `after approval: ignition-etl-nightly ${events.ruleState("ignition-etl-nightly")}, ignition-prod-backup ${events.ruleState("ignition-prod-backup")}`,
      ),
      say(
        ({ account: { rds } }) =>
          `after approval: ignition-staging-db ${rds.describe("ignition-staging-db")?.status}, ignition-prod-db ${rds.describe("ignition-prod-db")?.status}`,
      ),
      deliver("ignition-cost/alerts/ecs-resolved.json"),
      say(
        (p) =>
          `ECS resolved: dispatcher reserved concurrency ${p.account.lambda.reservedConcurrency("ignition-dispatcher") ?? "unreserved"}`,
      ),
      runOut(),
    ],
    expect: [
      auditSaid("applied", "capped ignition-dispatcher at 1", "the ECS act tier should cap the dispatcher"),
      auditSaid(
        "reverted",
        "the anomaly was resolved: ignition-dispatcher back",
        "resolving ECS should revert the cap",
      ),
      auditSaid(
        "applied",
        "disabled rule ignition-etl-nightly",
        "the approved RDS tier should disable the nightly ETL",
      ),
      auditSaid(
        "protected",
        "ignition-prod-backup is tagged environment=production",
        "the production backup must stay untouched",
      ),
      auditSaid(
        "applied",
        "stopped DB instance ignition-staging-db",
        "the approved RDS tier should stop the staging database",
      ),
      auditNeverMentions(
        "ignition-prod-db",
        "the approved RDS tier should not even select the production database",
      ),
      auditSaid(
        "reverted",
        "DB instance ignition-staging-db started again",
        "the TTL should start the staging database again",
      ),
      auditCount("started", 3, "one response per anomaly: three in all"),
    ],
  },
  {
    name: "ignition-failover",
    summary:
      "examples/ignition-failover: health-check alarm → approval → promote, scale, configure, DNS (INSYNC), verify → report; then fail back",
    example: "ignition-failover",
    steps: [
      alarm("ignition-primary-health", "ALARM", "Route 53 health check of the us-east-1 endpoint failing"),
      runOut(),
      say("the failover waits for a human; on-call approves"),
      approve({ runbook: "ignition", by: IGNITION_ONCALL }),
      runOut(),
      say((p) => `ignition-db-usw2: ${JSON.stringify(p.account.rds.describe("ignition-db-usw2"))}`),
      say((p) => `api.ignition.example.com → ${p.account.route53.recordValues(...IGNITION_DNS)}`),
      say("us-east-1 is back: restore and fail back (a new replica in us-east-1, promoted once in sync)"),
      failBack("ignition", IGNITION_ONCALL),
      runOut(),
      approve({ runbook: "ignition", by: IGNITION_ONCALL }),
      runOut(),
      say((p) => `api.ignition.example.com → ${p.account.route53.recordValues(...IGNITION_DNS)}`),
    ],
    expect: [
      auditSaid("approval-requested", "", "the failover should ask for approval"),
      auditSaid("approved", IGNITION_ONCALL, "the approval should be recorded with who gave it"),
      auditSaid("failed-over", "us-east-1 → us-west-2", "the report should say the failover finished"),
      auditSaid("failed-back", "us-west-2 → us-east-1", "the failback should finish and report"),
      succeeded("ignition-", "the failover execution should succeed"),
    ],
  },
  {
    name: "database-failure",
    summary:
      "examples/database-failure: DB alarm + AWS Health issue agree → auto-approved: activate replica, update configuration, verify",
    example: "database-failure",
    steps: [
      deliver("database-failure/events/rds-health-issue.json"),
      say(
        "AWS Health reports an RDS issue in us-east-1: one signal, so the failover it starts waits for a human",
      ),
      say(
        "then the database alarm fires: two independent signals agree, and the waiting failover is approved",
      ),
      alarm("orders-db-health", "ALARM", "orders database connections failing"),
      runOut(),
      say((p) => `/orders/database-host = ${p.account.ssm.value("/orders/database-host")}`),
    ],
    expect: [
      auditSaid(
        "approved",
        "auto: alarm orders-db-health and AWS Health",
        "the second signal should approve the waiting failover",
      ),
      auditSaid(
        "failed-over",
        "us-east-1 → us-east-2",
        "the replica should be activated and the report written",
      ),
      executions(1, "the second signal must not start a second failover"),
    ],
  },
  {
    name: "aurora-global-failover",
    summary:
      "examples/aurora-global-failover: health-check alarm → approval → FailoverGlobalCluster (data loss allowed), configure → report; then a planned switchover back",
    example: "aurora-global-failover",
    steps: [
      alarm("payments-primary-health", "ALARM", "Route 53 health check of the eu-west-1 endpoint failing"),
      runOut(),
      say("the primary is impaired: on-call approves an unplanned failover of the global database"),
      approve({ runbook: "payments", by: PAYMENTS_ONCALL }),
      runOut(),
      say(
        (p) => `payments-global: ${JSON.stringify(p.account.rds.describeGlobalCluster("payments-global"))}`,
      ),
      say("eu-west-1 is healthy again: fail back by a planned switchover"),
      failBack("payments", PAYMENTS_ONCALL),
      runOut(),
      approve({ runbook: "payments", by: PAYMENTS_ONCALL }),
      runOut(),
      say(
        (p) => `payments-global: ${JSON.stringify(p.account.rds.describeGlobalCluster("payments-global"))}`,
      ),
    ],
    expect: [
      auditSaid("failed-over", "eu-west-1 → eu-central-1", "the global database should fail over"),
      auditSaid("failed-back", "eu-central-1 → eu-west-1", "the global database should switch back"),
    ],
  },
  {
    name: "scheduled-rotation",
    summary:
      "examples/podinfo: the 7-day schedule comes due → podinfo's rotation function runs the four steps → new token AWSCURRENT, old AWSPREVIOUS",
    example: "podinfo",
    world: PODINFO,
    steps: [
      say(stagesOf(PODINFO_SECRET)),
      say("7 days pass: Secrets Manager starts the scheduled rotation with podinfo's rotation function"),
      rotationDue("podinfo-api"),
      say(stagesOf(PODINFO_SECRET)),
    ],
    expect: [
      rotated("podinfo-api", { previous: "initial", completed: 1 }),
      executions(0, "a scheduled rotation is Secrets Manager's own: no Switchyard workflow runs"),
    ],
  },
  {
    name: "rotate-on-leak",
    summary:
      "examples/podinfo: GitHub's secret_scanning_alert, signed, through the webhook receiver's URL → rotate at once, leaked version unreachable, alert resolved as revoked",
    example: "podinfo",
    // GitHub's example alert is about Codertocat/Hello-World and an adafruit_io_key: podinfo's
    // leak sources name those here, so the real payload arrives as GitHub sends it.
    configure: (config) => ({
      ...config,
      secrets: config.secrets.map((s) =>
        s.name === "podinfo-api"
          ? { ...s, leaks: { repositories: ["Codertocat/Hello-World"], secretTypes: ["adafruit_io_key"] } }
          : s,
      ),
    }),
    world: { ...PODINFO, github: { alerts: ["Codertocat/Hello-World#191"] } },
    steps: [say(stagesOf(PODINFO_SECRET)), leak(), runOut(), say(stagesOf(PODINFO_SECRET))],
    expect: [
      rotated("podinfo-api", { previous: "none", completed: 1 }),
      auditSaid("started", "", "the leak should start the rotate-on-leak workflow"),
      auditSaid("rotated", "", "the rotation should be audited"),
      succeeded("", "the rotate-on-leak execution should succeed"),
    ],
  },
  {
    name: "stuck-rotation",
    summary:
      "examples/podinfo: the scheduled rotation fails at finishSecret and stays AWSPENDING → the hourly check finds it, clears it and rotates again",
    example: "podinfo",
    world: PODINFO,
    steps: [
      fault("secretsmanager", "UpdateSecretVersionStage", "InternalServiceError"),
      rotationDue("podinfo-api"),
      say(stagesOf(PODINFO_SECRET)),
      say("the pending version blocks the next rotation; the hourly stuck-rotation check runs"),
      schedule("secrets-stuck-check"),
      runOut(),
      say(stagesOf(PODINFO_SECRET)),
    ],
    expect: [
      rotated("podinfo-api", { previous: "initial", completed: 1, failed: 1 }),
      auditSaid(
        "retried",
        "cleared",
        "the check should clear the stuck version and rotate again (a custom rotator's pending credential cannot be tested)",
      ),
    ],
  },
  ...operatorScenarios,
  ...hookScenarios,
  ...analysisScenarios,
  ...budgetScenarios,
  ...podinfoScenarios,
  ...writebackScenarios,
];
