import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV } from "../packages/core/src/context.ts";
import { matchesPattern, validatePattern } from "../packages/core/src/events/pattern.ts";
import { functions, rules, rulesFor, stateMachines, units } from "../packages/core/src/wiring.ts";
import type { State } from "../packages/core/src/workflows/asl.ts";

type AwsEvent = { detail: Record<string, unknown> } & Record<string, unknown>;
const fixture = (path: string): AwsEvent =>
  JSON.parse(readFileSync(new URL(`./fixtures/aws/${path}`, import.meta.url), "utf8")) as AwsEvent;

/** The AWS sample of a status change, for a state machine named as Switchyard names its deploy machine (adapted). */
function deployExecution(file: string): AwsEvent {
  const event = fixture(`states/${file}`);
  event.detail.stateMachineArn = "arn:aws:states:us-east-1:012345678912:stateMachine:switchyard-prod-deploy";
  return event;
}

/** A GitHub delivery as the webhook receiver puts it on the bus (fixtures under test/fixtures/github). */
const github = (file: string): AwsEvent =>
  JSON.parse(readFileSync(new URL(`./fixtures/github/${file}`, import.meta.url), "utf8")) as AwsEvent;

/**
 * AWS documents no alarm state change to OK. This is the documented single-metric sample with its
 * transition reversed (ALARM → OK), the event a recovering alarm sends.
 */
function alarmBackToOk(): AwsEvent {
  const event = fixture("cloudwatch/alarm-state-change-metric.json");
  return {
    ...event,
    detail: { ...event.detail, state: event.detail.previousState, previousState: event.detail.state },
  };
}

const STEP_FUNCTIONS = {
  deployStepsFunction: "arn:aws:lambda:us-east-1:123456789012:function:switchyard-dev-deploy-steps",
  costStepsFunction: "arn:aws:lambda:us-east-1:123456789012:function:switchyard-dev-cost-steps",
  secretLeakStepsFunction: "arn:aws:lambda:us-east-1:123456789012:function:switchyard-dev-secret-leak-steps",
  failoverStepsFunction: "arn:aws:lambda:us-east-1:123456789012:function:switchyard-dev-failover-steps",
};

/** The `action` of every Task state that invokes a steps function (Parameters.Payload.action). */
function taskActions(states: Record<string, State>): string[] {
  return Object.values(states).flatMap((state) => {
    if (state.Type !== "Task") return [];
    // lambda:invoke carries the action in its Payload; a Task whose Resource is the function's
    // ARN (failover's regional calls) passes its Parameters as the payload itself.
    const payload = (state.Parameters?.Payload ?? state.Parameters) as { action?: unknown } | undefined;
    return typeof payload?.action === "string" ? [payload.action] : [];
  });
}

const permissions = [
  ...functions.flatMap((f) => f.permissions),
  ...stateMachines.flatMap((sm) => sm.permissions),
];

describe("core's wiring", () => {
  it.each(rules.map((rule) => [rule.name, rule] as const))(
    "gives rule %s a valid EventBridge pattern",
    (_, rule) => {
      expect(validatePattern(rule.pattern)).toEqual([]);
    },
  );

  it("names every function uniquely", () => {
    const names = functions.map((f) => f.name);

    expect(new Set(names).size).toBe(names.length);
  });

  it("routes every rule to a function it declares", () => {
    const names = new Set(functions.map((f) => f.name));

    expect(rules.filter((rule) => !names.has(rule.target)).map((rule) => rule.name)).toEqual([]);
  });

  it("writes every permission action as service:Action, never with a wildcard", () => {
    const actions = permissions.flatMap((p) => p.actions);

    expect(actions.filter((action) => !/^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/.test(action))).toEqual([]);
  });

  it("scopes every permission to at least one resource", () => {
    expect(permissions.filter((p) => p.resources.length === 0)).toEqual([]);
  });

  it("derives its functions, rules and state machines from the units, each declared once", () => {
    expect(functions).toEqual(units.flatMap((u) => u.functions));
    expect(rules).toEqual(units.flatMap((u) => u.rules));
    expect(stateMachines.map((m) => m.name)).toEqual([
      "deploy",
      "cost-response",
      "rotate-on-leak",
      "failover",
      "failback",
    ]);
  });

  it.each(units.filter((u) => u.stateMachine && u.steps).map((u) => [u.reaction, u] as const))(
    "gives every Task of the %s state machine an action its unit's steps define",
    (_, unit) => {
      const definition = unit.stateMachine?.definition(STEP_FUNCTIONS);
      const actions = taskActions(definition?.States ?? {});
      const steps = Object.keys(unit.steps?.steps ?? {});

      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => !steps.includes(action))).toEqual([]);
      expect([...(unit.steps?.actions ?? [])].sort()).toEqual([...steps].sort());
    },
  );

  it("has no step that none of the state machines calls", () => {
    const called = new Set(stateMachines.flatMap((m) => taskActions(m.definition(STEP_FUNCTIONS).States)));
    const byMachine = units.filter((u) => u.stateMachine && u.steps);

    expect(byMachine.flatMap((u) => (u.steps?.actions ?? []).filter((a) => !called.has(a)))).toEqual([]);
  });

  it("gives every function the environment its code reads, and no state machine ARN by another's name", () => {
    const contextFunctions = functions.filter((f) => f.name !== "github-webhook");

    for (const f of contextFunctions)
      expect(f.env).toEqual(
        expect.arrayContaining([
          ENV.configFile,
          ENV.deployStateMachine,
          ENV.costStateMachine,
          ENV.rotateOnLeakStateMachine,
          ENV.failoverStateMachine,
          ENV.failbackStateMachine,
        ]),
      );
    expect(functions.find((f) => f.name === "github-webhook")?.env).toEqual([
      ENV.webhookSecretId,
      ENV.table,
      ENV.bus,
      ENV.logLevel,
    ]);
  });
});

describe("core's rules against AWS's sample events", () => {
  // Each sample and the rules that must match it: exactly these, no others.
  const cases: [string, () => AwsEvent, string[]][] = [
    ["an ECR image push", () => fixture("ecr/image-push.json"), ["deploy-on-image-push"]],
    ["an ECR image deletion", () => fixture("ecr/image-delete.json"), []],
    ["an ECR basic scan", () => fixture("ecr/image-scan.json"), ["scan-results"]],
    ["an Inspector2 ECR image scan", () => fixture("inspector2/ecr-image-scan.json"), ["scan-results"]],
    [
      "an Inspector2 scan without findings",
      () => fixture("inspector2/ecr-image-initial-scan-no-findings.json"),
      ["scan-results"],
    ],
    [
      "a metric alarm going to ALARM",
      () => fixture("cloudwatch/alarm-state-change-metric.json"),
      ["rollback-on-alarm", "failover-on-health-alarm"],
    ],
    [
      "a composite alarm going to ALARM",
      () => fixture("cloudwatch/alarm-state-change-composite.json"),
      ["rollback-on-alarm", "failover-on-health-alarm"],
    ],
    ["an alarm going back to OK", alarmBackToOk, []],
    // AWS's samples name a state machine "state-machine"; Switchyard's deploy machine ends in "-deploy".
    [
      "a failed execution of another state machine",
      () => fixture("states/execution-status-change-failed.json"),
      [],
    ],
    [
      "a failed deploy execution",
      () => deployExecution("execution-status-change-failed.json"),
      ["deploy-execution-failed"],
    ],
    [
      "a timed-out deploy execution",
      () => deployExecution("execution-status-change-timed-out.json"),
      ["deploy-execution-failed"],
    ],
    ["a succeeded deploy execution", () => deployExecution("execution-status-change-succeeded.json"), []],
    ["a GitHub release", () => github("release-published.json"), ["deploy-on-github"]],
    ["a GitHub deployment", () => github("deployment-created.json"), ["deploy-on-github"]],
    ["a GitHub workflow run", () => github("workflow-run-completed.json"), []],
    [
      "a GitHub secret scanning alert, created",
      () => github("secret-scanning-alert-created.json"),
      ["rotate-on-leak"],
    ],
    [
      "a GitHub secret scanning alert, publicly leaked",
      () => github("secret-scanning-alert-publicly-leaked.json"),
      ["rotate-on-leak"],
    ],
    ["a GitHub secret scanning alert, reopened", () => github("secret-scanning-alert-reopened.json"), []],
    ["a Cost Anomaly Detection alert", () => fixture("ce/anomaly-detected.json"), ["cost-anomaly"]],
    [
      "a Route 53 health-check alarm going to ALARM",
      () => fixture("health/route53-health-check-alarm.json"),
      ["rollback-on-alarm", "failover-on-health-alarm"],
    ],
    [
      "an AWS Health issue (public)",
      () => fixture("health/public-elb-operational-issue.json"),
      ["failover-on-aws-health"],
    ],
    [
      "an AWS Health issue (account-specific)",
      () => fixture("health/account-specific-ec2-instance-store-degraded.json"),
      ["failover-on-aws-health"],
    ],
    ["an AWS Health account notification", () => fixture("health/ec2-odcr-underutilization.json"), []],
    [
      "an ARC autoshift (observer notification)",
      () => fixture("arc-zonal-shift/autoshift-in-progress-observer.json"),
      ["failover-on-zonal-autoshift"],
    ],
    [
      "an ARC autoshift of a configured resource",
      () => fixture("arc-zonal-shift/autoshift-in-progress-resource.json"),
      ["failover-on-zonal-autoshift"],
    ],
    [
      "an ARC autoshift completed (invented sample)",
      () => fixture("arc-zonal-shift/autoshift-completed.json"),
      ["failover-on-zonal-autoshift"],
    ],
    [
      "an ARC practice run interrupted",
      () => fixture("arc-zonal-shift/practice-run-interrupted.json"),
      ["failover-on-zonal-autoshift"],
    ],
    // An experiment or a human shifting traffic is no news Switchyard needs to relay.
    [
      "an FIS experiment autoshift",
      () => fixture("arc-zonal-shift/fis-experiment-autoshift-in-progress.json"),
      [],
    ],
    ["a manual zonal shift", () => fixture("arc-zonal-shift/manual-shift-started.json"), []],
    // Another scheduled rule's event must not start the stuck-rotation sweep.
    ["another rule's Scheduled Event", () => fixture("events/scheduled-event.json"), []],
    [
      "the stuck-rotation schedule's Scheduled Event",
      () => ({
        ...fixture("events/scheduled-event.json"),
        resources: ["arn:aws:events:us-east-1:123456789012:rule/switchyard-prod-secrets-stuck-check"],
      }),
      ["secrets-stuck-check"],
    ],
  ];

  it.each(cases)("matches %s with exactly the rules meant for it", (_, event, expected) => {
    const matched = rules.filter((rule) => matchesPattern(rule.pattern, event())).map((rule) => rule.name);

    expect(matched).toEqual(expected);
  });
});

describe("the rules a config deploys", () => {
  const metricAlarm = () => fixture("cloudwatch/alarm-state-change-metric.json");
  const runbooks = (alarms: string[]) => ({ failover: { runbooks: [{ triggers: { alarms } }] } }) as never;
  const matched = (config: Parameters<typeof rulesFor>[0], event: AwsEvent) =>
    rulesFor(config)
      .filter((rule) => matchesPattern(rule.pattern, event))
      .map((rule) => rule.name);

  it("send an alarm no runbook names to the rollback function only", () => {
    expect(matched(runbooks([]), metricAlarm())).toEqual(["rollback-on-alarm"]);
    expect(matched(runbooks(["another-alarm"]), metricAlarm())).toEqual(["rollback-on-alarm"]);
  });

  it("send a runbook's trigger alarm, named by name or by ARN, to the failover trigger as well", () => {
    const name = String(metricAlarm().detail.alarmName);
    const arn = `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;

    expect(matched(runbooks([name]), metricAlarm())).toEqual([
      "rollback-on-alarm",
      "failover-on-health-alarm",
    ]);
    expect(matched(runbooks([arn]), metricAlarm())).toEqual([
      "rollback-on-alarm",
      "failover-on-health-alarm",
    ]);
    for (const rule of rulesFor(runbooks([name, arn]))) expect(validatePattern(rule.pattern)).toEqual([]);
  });

  it("keep every other rule as core writes it, whatever the runbooks", () => {
    const others = (config: Parameters<typeof rulesFor>[0]) =>
      rulesFor(config).filter((rule) => rule.name !== "failover-on-health-alarm");

    expect(others(runbooks([]))).toEqual(rules.filter((rule) => rule.name !== "failover-on-health-alarm"));
    expect(others(runbooks(["a", "b"]))).toEqual(others(runbooks([])));
  });
});
