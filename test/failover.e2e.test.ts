import { RedriveExecutionCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import { readFailover } from "../packages/core/src/failover/records.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { failbackDefinition } from "../packages/core/src/workflows/failback.ts";
import { failoverDefinition } from "../packages/core/src/workflows/failover.ts";
import {
  auroraGlobal,
  runByHand,
  runbookConfig,
  START,
  secondaryEndpoint,
  seedRegions,
  startAgainFromConsole,
  startByHand,
  TOPIC,
  WRITES,
  writesIn,
  ZONE,
} from "./support/failover.ts";
import { it as planeIt } from "./support/plane.ts";
import { busEvent } from "./support/scenario.ts";

const alarmEvent = () => busEvent("aws/health/route53-health-check-alarm.json");
/** A real AWS Health issue (public ELB operational issue, ap-southeast-2): the primary region's. */
const healthIssue = () => busEvent("aws/health/public-elb-operational-issue.json");

/**
 * `it` with `setUp(change?, options?)`: the runbook (changed by `change`) on a control plane
 * whose two regions are seeded, and the secondary's endpoint answering `options.status`; both
 * closed after the test.
 */
const it = planeIt.extend("setUp", ({ startPlane }, { onCleanup }) => {
  const endpoints: Awaited<ReturnType<typeof secondaryEndpoint>>[] = [];
  onCleanup(() => {
    for (const endpoint of endpoints) endpoint.server.close();
  });
  return async (
    change: (runbook: Record<string, unknown>) => void = () => undefined,
    options: { lagSeconds?: number; status?: number } = {},
  ): Promise<ControlPlane> => {
    const endpoint = await secondaryEndpoint(options.status);
    endpoints.push(endpoint);
    const plane = await startPlane(runbookConfig(endpoint.url, change), { start: START });
    seedRegions(plane, options);
    return plane;
  };
});

/** The health-check alarm fires: its state is ALARM now and its event reaches the bus. */
async function alarmFires(p: ControlPlane) {
  p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
  return p.deliver(alarmEvent());
}

const failover = (p: ControlPlane) =>
  p.account.sfn.executions().filter((e) => e.stateMachineArn.endsWith(":switchyard-failover"));
const only = (p: ControlPlane) => {
  const [execution, ...rest] = failover(p);
  expect(rest).toEqual([]);
  if (!execution) throw new Error("no failover execution");
  return execution;
};
const approve = (p: ControlPlane) =>
  answerApproval(p.context, "ignition", { approve: true, by: "oncall@example.com" });
const report = async (p: ControlPlane) =>
  (await readFailover(p.store, "ignition"))?.report as {
    outcome: string;
    approval: { mode: string; by: string | null };
    steps: { step: string; outcome: string; detail: string }[];
    rto: { targetSeconds: number; achievedSeconds: number; met: boolean };
    rpo: { targetSeconds: number; estimateSeconds: number | null; met: boolean | null };
  };

/** The alarm fires, a person approves and the failover runs to its end. */
async function failOver(p: ControlPlane): Promise<void> {
  await alarmFires(p);
  await approve(p);
  await p.runOut();
}

/**
 * The alarm fires, a person approves and the failover runs to its end; then someone starts it
 * again from the console with the same input. The replay, and how many calls came before it.
 */
async function consoleReplayOfFinishedRun(p: ControlPlane) {
  await failOver(p);
  const first = only(p);
  const before = p.account.calls.length;

  await startAgainFromConsole(p, first, "console-replay");
  await p.runOut();
  return { replay: failover(p).find((e) => e.name === "console-replay"), before };
}

describe("failover runbook, on the simulated account in two regions", () => {
  it("fails over on the health-check alarm once approved: promotes, scales, configures, switches DNS, verifies, reports RTO and RPO", async ({
    setUp,
  }) => {
    const p = await setUp();

    await alarmFires(p);
    expect(writesIn(p.account.calls)).toEqual([]);
    await approve(p);
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    expect(p.account.rds.describe("ignition-db-usw2")).toEqual({ status: "available", region: "us-west-2" });
    expect(p.account.route53.recordValues(ZONE, "api.ignition.example.com", "CNAME")).toEqual([
      "api.us-west-2.ignition.example.com",
    ]);
    expect(p.account.ssm.value("/ignition/database-host")).toContain("us-west-2");
    expect(p.account.ecs.service("ignition-usw2", "web")).toEqual({ desired: 6, running: 6 });
    expect(p.account.autoscaling.group("ignition-workers-usw2")?.desired).toBe(4);
    expect(writesIn(p.account.calls)).toEqual([...WRITES]);
    const r = await report(p);
    expect(r.outcome).toBe("failed-over");
    expect(r.approval).toEqual({ mode: "required", by: "oncall@example.com" });
    expect(r.steps.map((s) => [s.step, s.outcome])).toEqual([
      ["preflight", "done"],
      ["approval", "done"],
      ["promote", "changed"],
      ["scale Lambda", "changed"],
      ["scale ECS", "changed"],
      ["scale Auto Scaling", "changed"],
      ["configure", "changed"],
      ["DNS", "changed"],
      ["verify", "done"],
    ]);
    // Promotion takes 5 virtual minutes and DNS a minute to be INSYNC: well within 15 minutes.
    expect(r.rto.targetSeconds).toBe(900);
    expect(r.rto.achievedSeconds).toBeGreaterThanOrEqual(6 * 60);
    expect(r.rto.met).toBe(true);
    expect(r.rpo).toMatchObject({ targetSeconds: 900, estimateSeconds: 4, met: true });
    const published = p.account.sns.published().map((m) => m.Subject);
    expect(published).toEqual([
      "Switchyard: approve failover ignition?",
      "Switchyard: failover ignition failed-over",
    ]);
  });

  it("waits for a human when auto-approval is on but only the alarm signals trouble", async ({ setUp }) => {
    const p = await setUp((r) => {
      r.approval = { timeout: "30m", autoApprove: true };
    });

    await alarmFires(p);
    await p.runOut();

    expect(only(p).status).toBe("RUNNING");
    expect(p.account.sfn.waitingTokens()).toHaveLength(1);
    expect(writesIn(p.account.calls)).toEqual([]);
  });

  it("auto-approves when the health-check alarm and an AWS Health issue for the primary region agree", async ({
    setUp,
  }) => {
    const p = await setUp((r) => {
      r.approval = { timeout: "30m", autoApprove: true };
    });

    await p.deliver(healthIssue());
    await alarmFires(p);
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    const r = await report(p);
    expect(r.approval).toEqual({ mode: "auto", by: null });
    expect(writesIn(p.account.calls)).toEqual([...WRITES]);
  });

  it("approves a failover that waits for a human when the second, independent signal arrives", async ({
    setUp,
  }) => {
    const p = await setUp((r) => {
      r.approval = { timeout: "30m", autoApprove: true };
      r.triggers = { alarms: ["ignition-primary-health"], health: true };
    });
    await p.deliver(healthIssue());
    expect(p.account.sfn.waitingTokens()).toHaveLength(1);

    await alarmFires(p);
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    expect((await report(p)).approval.by).toMatch(
      /^auto: alarm ignition-primary-health and AWS Health arn:aws:health:/,
    );
  });

  it("stops before any write when nobody approves in time", async ({ setUp }) => {
    const p = await setUp();

    await alarmFires(p);
    // The approval timer is a human wait: run it out explicitly.
    while (p.account.clock.advance({ includeHumanWaits: true })) await p.settle();

    const execution = only(p);
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("ApprovalTimedOut");
    expect(writesIn(p.account.calls)).toEqual([]);
    expect(p.account.rds.describe("ignition-db-usw2")?.source).toBeDefined();
  });

  it("refuses at preflight when the replica lags more than the RPO, writing nothing and saying why", async ({
    setUp,
  }) => {
    const p = await setUp(undefined, { lagSeconds: 1200 });

    await alarmFires(p);
    await p.runOut();

    const execution = only(p);
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("PreflightFailed");
    expect(execution.cause).toBe("replica lag 1200 s exceeds the RPO of 900 s");
    expect(writesIn(p.account.calls)).toEqual([]);
    expect(p.account.sfn.waitingTokens()).toEqual([]);
  });

  it("skips every step when a finished run is started again from the console, and ends with nothing to do", async ({
    setUp,
  }) => {
    const p = await setUp();
    const { replay, before } = await consoleReplayOfFinishedRun(p);
    expect(replay?.status).toBe("SUCCEEDED");
    expect(replay?.history.some((h) => h.stateName === "NothingToDo")).toBe(true);
    expect(writesIn(p.account.calls.slice(before))).toEqual([]);
    const r = await report(p);
    expect(r.outcome).toBe("nothing-to-do");
    expect(
      r.steps
        .filter((s) =>
          ["promote", "scale Lambda", "scale ECS", "scale Auto Scaling", "configure", "DNS"].includes(s.step),
        )
        .map((s) => s.outcome),
    ).toEqual(Array(6).fill("skipped"));
  });

  // How many attempts a step makes before it fails in place: a call in the secondary region goes
  // through the steps function (one attempt plus the Lambda retry policy's four retries); an SDK
  // integration of a global service or the stack's region, one attempt plus three.
  const REGIONAL_ATTEMPTS = 5;
  const SDK_ATTEMPTS = 4;
  const faults: [string, string, string, number][] = [
    ["rds", "PromoteReadReplica", "ThrottlingException", REGIONAL_ATTEMPTS],
    ["rds", "DescribeDBInstances", "ThrottlingException", REGIONAL_ATTEMPTS],
    ["lambda", "PutProvisionedConcurrencyConfig", "TooManyRequestsException", REGIONAL_ATTEMPTS],
    ["ecs", "UpdateService", "ThrottlingException", REGIONAL_ATTEMPTS],
    ["autoscaling", "UpdateAutoScalingGroup", "Throttling", REGIONAL_ATTEMPTS],
    ["ssm", "PutParameter", "ThrottlingException", REGIONAL_ATTEMPTS],
    ["route53", "ChangeResourceRecordSets", "Throttling", SDK_ATTEMPTS],
    ["route53", "GetChange", "Throttling", SDK_ATTEMPTS],
    ["route53", "GetHealthCheckStatus", "Throttling", SDK_ATTEMPTS],
    ["sns", "Publish", "ThrottlingException", SDK_ATTEMPTS],
  ];
  it.for(faults)(
    "resumes after %s:%s fails past its retries: a redrive finishes without repeating finished writes",
    async ([service, action, error, attempts], { setUp }) => {
      const p = await setUp();
      await alarmFires(p);
      // Every attempt fails: the step fails for good, in place.
      p.account.injectFault({ service, action, error, times: attempts });
      await approve(p);
      await p.runOut();
      const failed = only(p);
      expect(failed.status).toBe("FAILED");

      await p.clients.sfn.send(new RedriveExecutionCommand({ executionArn: failed.arn }));
      await p.runOut();

      expect(only(p).status).toBe("SUCCEEDED");
      expect(writesIn(p.account.calls)).toEqual([...WRITES]);
      expect((await report(p)).outcome).toBe("failed-over");
    },
  );

  it("fails a console start with malformed input in its first state, naming what is missing", async ({
    setUp,
  }) => {
    const p = await setUp();
    const arn = p.account.arn("states", "stateMachine:switchyard-failover");

    await p.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: "by-hand",
        input: JSON.stringify({ runbook: "ignition", dns: { name: 42 } }),
      }),
    );
    await p.runOut();

    const execution = only(p);
    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe("InvalidInput");
    // Lambda reports a function error as { errorType, errorMessage }: the console shows it as the cause.
    const { errorMessage } = JSON.parse(execution.cause ?? "{}") as { errorMessage: string };
    expect(errorMessage).toContain('primaryRegion: missing; name the AWS Region, e.g. "us-east-1"');
    expect(errorMessage).toContain('secondaryRegion: missing; name the AWS Region, e.g. "us-west-2"');
    expect(errorMessage).toContain("dns.name: Invalid input: expected string, received number");
    expect(execution.entered.map((e) => e.name)).toEqual(["Validate", "InvalidInput"]);
    expect(
      p.account.calls.filter((c) => c.principal === "states:switchyard-failover").map((c) => c.action),
    ).toEqual(["InvokeFunction"]);
  });

  it("fails back: resyncs a new replica in the old primary region, promotes it, points configuration and DNS back", async ({
    setUp,
  }) => {
    const p = await setUp();
    await failOver(p);
    const before = p.account.calls.length;

    const { executionArn } = await runByHand(p, "failback");

    expect(p.account.sfn.execution(executionArn)?.status).toBe("SUCCEEDED");
    expect(p.account.rds.describe("ignition-db-apse2-new")).toEqual({
      status: "available",
      region: "ap-southeast-2",
    });
    expect(p.account.route53.recordValues(ZONE, "api.ignition.example.com", "CNAME")).toEqual([
      "api.ap-southeast-2.ignition.example.com",
    ]);
    // The parameter the application reads in the region it runs in again.
    expect(p.account.ssm.value("/ignition/database-host", "ap-southeast-2")).toContain("ap-southeast-2");
    expect(writesIn(p.account.calls.slice(before))).toEqual([
      "rds:PromoteReadReplica",
      "ssm:PutParameter",
      "route53:ChangeResourceRecordSets",
    ]);
    expect(p.account.callsOf({ action: "CreateDBInstanceReadReplica" }).map((c) => c.input)).toEqual([
      {
        DBInstanceIdentifier: "ignition-db-apse2-new",
        SourceDBInstanceIdentifier: "arn:aws:rds:us-west-2:123456789012:db:ignition-db-usw2",
        SourceRegion: "us-west-2",
        AvailabilityZone: "ap-southeast-2a",
      },
    ]);
    const r = await report(p);
    expect(r.outcome).toBe("failed-back");
    expect(r.steps.find((s) => s.step === "resync")?.outcome).toBe("changed");
  });

  it("plans every write and makes none in a dry run (game day)", async ({ setUp }) => {
    const p = await setUp((r) => {
      r.dryRun = true;
    });

    await alarmFires(p);
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    expect(writesIn(p.account.calls)).toEqual([]);
    const r = await report(p);
    expect(r.outcome).toBe("dry-run");
    expect(r.steps.filter((s) => s.outcome === "planned").map((s) => s.step)).toEqual([
      "promote",
      "scale Lambda",
      "scale ECS",
      "scale Auto Scaling",
      "configure",
      "DNS",
    ]);
  });

  it("ignores a replayed health-check alarm event when the alarm is OK now", async ({ setUp }) => {
    const p = await setUp();

    const delivery = await p.deliver(alarmEvent());

    expect(failover(p)).toEqual([]);
    expect(JSON.stringify(delivery)).toContain("is OK now: not failing over");
  });

  it("records an AWS Health issue that is not for any runbook's primary region, and starts nothing", async ({
    setUp,
  }) => {
    const p = await setUp((r) => {
      r.primaryRegion = "eu-west-1";
      r.triggers = { alarms: [], health: true };
    });

    await p.deliver(healthIssue());

    expect(failover(p)).toEqual([]);
  });

  it("starts the failover on an AWS Health issue in the primary region when the runbook takes Health triggers", async ({
    setUp,
  }) => {
    const p = await setUp((r) => {
      r.triggers = { alarms: [], health: true };
    });

    await p.deliver(healthIssue());

    expect(only(p).status).toBe("RUNNING");
    expect(p.account.sfn.waitingTokens()).toHaveLength(1);
  });
});

describe("failover runbook with an Aurora global database", () => {
  const GLOBAL = "ignition-global";
  const aurora = auroraGlobal;
  /** The successful switchovers and failovers among `calls`, with what they asked for. */
  const globalWrites = (calls: ControlPlane["account"]["calls"]) =>
    calls
      .filter((c) => !c.error && ["SwitchoverGlobalCluster", "FailoverGlobalCluster"].includes(c.action))
      .map((c) => ({ action: c.action, input: c.input }));
  /** A switchover or failover of GLOBAL to `cluster` in `region`, as `globalWrites` lists it. */
  const promotion = (
    action: string,
    region: string,
    cluster: string,
    extra: Record<string, unknown> = {},
  ) => ({
    action,
    input: {
      GlobalClusterIdentifier: GLOBAL,
      TargetDbClusterIdentifier: `arn:aws:rds:${region}:123456789012:cluster:${cluster}`,
      ...extra,
    },
  });
  const promoteStep = async (p: ControlPlane) => (await report(p)).steps.find((s) => s.step === "promote");

  it("switches over (planned, no data loss) when a person starts the failover: the primary is healthy", async ({
    setUp,
  }) => {
    const p = await setUp(aurora);

    await startByHand(p, "failover");
    await p.runOut();
    await approve(p);
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    expect(globalWrites(p.account.calls)).toEqual([
      promotion("SwitchoverGlobalCluster", "us-west-2", "ignition-usw2"),
    ]);
    expect(p.account.rds.describeGlobalCluster(GLOBAL)).toEqual({
      status: "available",
      writer: "ignition-usw2",
    });
    expect(await promoteStep(p)).toMatchObject({ outcome: "changed" });
    expect((await promoteStep(p))?.detail).toContain(
      "planned switchover (started by hand: the primary is healthy)",
    );
    expect((await report(p)).outcome).toBe("failed-over");
  });

  it("fails over with data loss allowed when the health-check alarm starts it: the primary is impaired, and the RPO estimate is the replication lag", async ({
    setUp,
  }) => {
    const p = await setUp(aurora);

    await failOver(p);

    expect(only(p).status).toBe("SUCCEEDED");
    expect(globalWrites(p.account.calls)).toEqual([
      promotion("FailoverGlobalCluster", "us-west-2", "ignition-usw2", { AllowDataLoss: true }),
    ]);
    expect(p.account.rds.describeGlobalCluster(GLOBAL)?.writer).toBe("ignition-usw2");
    expect((await promoteStep(p))?.detail).toContain(
      "unplanned failover with data loss allowed (a health-check alarm: the primary is impaired)",
    );
    // 800 ms of AuroraGlobalDBReplicationLag, rounded up to whole seconds.
    expect((await report(p)).rpo).toMatchObject({ estimateSeconds: 1, met: true });
  });

  it("skips the database when the secondary cluster already writes: a console replay of a finished run changes nothing", async ({
    setUp,
  }) => {
    const p = await setUp(aurora);
    const { replay, before } = await consoleReplayOfFinishedRun(p);
    expect(replay?.status).toBe("SUCCEEDED");
    expect(replay?.history.some((h) => h.stateName === "NothingToDo")).toBe(true);
    expect(globalWrites(p.account.calls.slice(before))).toEqual([]);
    expect(await promoteStep(p)).toMatchObject({
      outcome: "skipped",
      detail: `ignition-usw2 is already the writer of ${GLOBAL}`,
    });
  });

  it("resumes after FailoverGlobalCluster fails past its retries: a redrive fails over once and finishes", async ({
    setUp,
  }) => {
    const p = await setUp(aurora);
    await alarmFires(p);
    p.account.injectFault({
      service: "rds",
      action: "FailoverGlobalCluster",
      error: "ThrottlingException",
      // One attempt and the Lambda retry policy's four retries (a call in the secondary region).
      times: 5,
    });
    await approve(p);
    await p.runOut();
    const failed = only(p);
    expect(failed.status).toBe("FAILED");
    expect(p.account.rds.describeGlobalCluster(GLOBAL)?.writer).toBe("ignition-apse2");

    await p.clients.sfn.send(new RedriveExecutionCommand({ executionArn: failed.arn }));
    await p.runOut();

    expect(only(p).status).toBe("SUCCEEDED");
    expect(globalWrites(p.account.calls).map((w) => w.action)).toEqual(["FailoverGlobalCluster"]);
    expect(p.account.rds.describeGlobalCluster(GLOBAL)?.writer).toBe("ignition-usw2");
    expect((await report(p)).outcome).toBe("failed-over");
  });

  it("fails back by a planned switchover to the old primary cluster, without a resync", async ({ setUp }) => {
    const p = await setUp(aurora);
    await failOver(p);
    const before = p.account.calls.length;

    const { executionArn } = await runByHand(p, "failback");

    expect(p.account.sfn.execution(executionArn)?.status).toBe("SUCCEEDED");
    expect(p.account.rds.describeGlobalCluster(GLOBAL)).toEqual({
      status: "available",
      writer: "ignition-apse2",
    });
    expect(p.account.callsOf({ action: "CreateDBInstanceReadReplica" })).toEqual([]);
    expect(globalWrites(p.account.calls.slice(before))).toEqual([
      promotion("SwitchoverGlobalCluster", "ap-southeast-2", "ignition-apse2"),
    ]);
    expect(p.account.route53.recordValues(ZONE, "api.ignition.example.com", "CNAME")).toEqual([
      "api.ap-southeast-2.ignition.example.com",
    ]);
    const r = await report(p);
    expect(r.outcome).toBe("failed-back");
    expect(r.steps.find((s) => s.step === "promote")?.detail).toContain("planned switchover back");
  });
});

describe("the aurora-global-failover example", () => {
  it("fails over on its alarm and switches back, with neither DNS nor a health check in the runbook", async () => {
    const result = await playScenario("aurora-global-failover", undefined);

    expect(result.failures).toEqual([]);
    expect(result.executions.map((e) => e.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });
});

describe("ARC zonal shift events: recorded and notified, never failed over", () => {
  const arc = (name: string) => busEvent(`aws/arc-zonal-shift/${name}.json`);
  /** The ARC samples are from us-east-1: the runbook's primary region is put there. */
  const inUsEast1 = (r: Record<string, unknown>) => {
    r.primaryRegion = "us-east-1";
  };
  const zonal = async (p: ControlPlane) =>
    (await listAudit(p.store)).filter((a) => a.reaction === "failover" && a.eventId?.startsWith("05d4d2d5"));

  it("records an autoshift in the primary region with its AZ, resources and runbook, notifies, and starts no failover", async ({
    setUp,
  }) => {
    const p = await setUp(inUsEast1);

    const delivery = await p.deliver(arc("autoshift-in-progress-resource"));

    expect(delivery.outcomes.map((o) => o.rule)).toEqual(["failover-on-zonal-autoshift"]);
    expect(failover(p)).toEqual([]);
    expect(writesIn(p.account.calls)).toEqual([]);
    const [entry, ...more] = await zonal(p);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      decision: "autoshift-in-progress",
      subject: "use1-az2",
      details: {
        region: "us-east-1",
        awayFrom: "use1-az2",
        resources: ["TEST-EXAMPLE-2023-11-16-23-28-11-5"],
        runbooks: ["ignition"],
      },
    });
    expect(entry?.reason).toContain("no regional failover started");
    const [message, ...others] = p.account.sns.published(TOPIC);
    expect(others).toEqual([]);
    expect(message?.Subject).toBe("Autoshift In Progress: use1-az2 in us-east-1");
    expect(JSON.parse(message?.Message ?? "{}")).toMatchObject({
      awayFrom: "use1-az2",
      resources: ["TEST-EXAMPLE-2023-11-16-23-28-11-5"],
      runbooks: ["ignition"],
    });
  });

  it("records an observer notification that names no resource, and a region no runbook uses", async ({
    setUp,
  }) => {
    const p = await setUp();

    await p.deliver(arc("autoshift-in-progress-observer"));

    const [entry] = await zonal(p);
    expect(entry?.details).toMatchObject({ resources: [], runbooks: [] });
    expect(entry?.reason).toContain("no configured resource named (observer notification)");
    expect(entry?.reason).toContain("no runbook has a region there");
    expect(p.account.sns.published(TOPIC)).toHaveLength(1);
  });

  it("records and notifies a duplicate delivery of the same autoshift once", async ({ setUp }) => {
    const p = await setUp(inUsEast1);

    await p.deliver(arc("autoshift-in-progress-resource"));
    const again = await p.deliver(arc("autoshift-in-progress-resource"));

    expect(JSON.stringify(again.outcomes)).toContain('"outcome":"duplicate"');
    expect(await zonal(p)).toHaveLength(1);
    expect(p.account.sns.published(TOPIC)).toHaveLength(1);
  });

  it("records why a practice run was interrupted", async ({ setUp }) => {
    const p = await setUp(inUsEast1);

    await p.deliver(arc("practice-run-interrupted"));

    const [entry] = await zonal(p);
    expect(entry?.decision).toBe("practice-run-interrupted");
    expect(entry?.details).toMatchObject({
      additionalFailureInfo: "Practice run interrupted. The blocking alarm entered ALARM state.",
    });
    expect(failover(p)).toEqual([]);
  });

  it("does not receive a manual zonal shift: no rule routes it", async ({ setUp }) => {
    const p = await setUp(inUsEast1);

    const delivery = await p.deliver(arc("manual-shift-started"));

    expect(delivery.outcomes).toEqual([]);
    expect(await zonal(p)).toEqual([]);
  });
});

describe("the failback state machine definition", () => {
  const definition = failbackDefinition(
    "arn:aws:lambda:us-east-1:123456789012:function:switchyard-failover-steps",
  );

  it("bounds the resync wait by a counter checked before it waits again, and resyncs before anything else", () => {
    const states = definition.States as unknown as Record<string, Record<string, unknown>>;

    expect(states.Validate?.Next).toBe("Resync?");
    expect(states["Resync?"]?.Default).toBe("ReadResyncReplica");
    expect(JSON.stringify(states["ResyncBound?"])).toContain("NumericGreaterThanEqualsPath");
    expect(states.CountResyncCheck?.Next).toBe("WaitForResync");
  });
});

describe("the failover state machine definition", () => {
  const definition = failoverDefinition(
    "arn:aws:lambda:us-west-2:123456789012:function:switchyard-failover-steps",
  );

  it("bounds every wait: approval by a timeout, each polling loop by a counter checked before it waits again", () => {
    const states = definition.States as unknown as Record<string, Record<string, unknown>>;
    const approval = Object.entries(states).filter(([, s]) =>
      String(s.Resource ?? "").endsWith(".waitForTaskToken"),
    );
    expect(approval.map(([n]) => n)).toEqual(["WaitForApprovalToFailOver"]);
    expect(
      approval.every(([, s]) => s.TimeoutSeconds !== undefined || s.TimeoutSecondsPath !== undefined),
    ).toBe(true);
    for (const [bound, wait] of [
      ["PromotionBound?", "WaitForPromotion"],
      ["DnsSyncBound?", "WaitForDnsSync"],
    ] as const) {
      const choices = JSON.stringify(states[bound]);
      expect(choices).toContain("NumericGreaterThanEqualsPath");
      expect(states[wait]?.Type).toBe("Wait");
    }
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });
});
