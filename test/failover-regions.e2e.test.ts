import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import auroraExample from "../examples/aurora-global-failover/switchyard.config.ts";
import ignitionExample from "../examples/ignition-failover/switchyard.config.ts";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import { SimulatedAccount } from "../packages/sim/src/index.ts";
import { planStack } from "../stacks/plan.ts";
import { runbookConfig, runbookSetUp, startByHand } from "./support/failover.ts";
import { fixture } from "./support/scenario.ts";

/**
 * Regions, end to end: every simulated resource lives in one region and a client sees only its
 * own; the failover and failback state machines (in the stack's region) act in the runbook's
 * regions through the steps function; AWS Health events reach the stack only through the
 * forwarding rules planned for the runbooks' regions.
 */

const setUp = runbookSetUp();

const failovers = (p: ControlPlane) =>
  p.account.sfn.executions().filter((e) => e.stateMachineArn.endsWith(":switchyard-failover"));
const approve = (p: ControlPlane) =>
  answerApproval(p.context, "ignition", { approve: true, by: "oncall@example.com" });
/** The writes to the world, as `service:Action@region`. */
const writes = (p: ControlPlane, from = 0) =>
  p.account.calls
    .slice(from)
    .filter((c) => !c.error && /^(Promote|Put|Update|Create|Change)/.test(c.action))
    .filter((c) => !["sns", "dynamodb", "states", "events"].includes(c.service))
    .map((c) => `${c.service}:${c.action}@${c.region}`);

describe("the simulated account's regions", () => {
  it("gives a client only its region's resources, and runs a state machine's SDK integrations in its own region", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    account.rds.seedInstance({ id: "orders-usw2", region: "us-west-2" });
    const machine = account.sfn.createStateMachine("read-replica", {
      StartAt: "Read",
      States: {
        Read: {
          Type: "Task",
          Resource: "arn:aws:states:::aws-sdk:rds:describeDBInstances",
          Parameters: { DbInstanceIdentifier: "orders-usw2" },
          End: true,
        },
      },
    });

    await account.call("states", "StartExecution", { stateMachineArn: machine, name: "cross-region" });
    await account.activity.idle();
    // A client of another region does not see the state machine at all.
    await expect(
      account.call("states", "StartExecution", { stateMachineArn: machine }, "us-west-2"),
    ).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });

    const [execution] = account.sfn.executions(machine);
    expect(execution?.status).toBe("FAILED");
    expect(execution?.error).toBe("Rds.DBInstanceNotFound");
    expect(account.callsOf({ action: "DescribeDBInstances" }).map((c) => c.region)).toEqual(["us-east-1"]);
    expect(
      await account.call("rds", "DescribeDBInstances", { DBInstanceIdentifier: "orders-usw2" }, "us-west-2"),
    ).toMatchObject({ DBInstances: [{ DBInstanceIdentifier: "orders-usw2" }] });
  });

  it("delivers an event only to the rules of the region it is put in, and across regions only through a bus target", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const seen: string[] = [];
    account.lambda.registerHandler("listener", async (event) => {
      seen.push((event as { region: string }).region);
      return null;
    });
    account.events.addRule({
      name: "listen",
      pattern: { source: ["aws.health"] },
      targets: [{ Id: "listener", Arn: account.lambda.functionArn("listener") }],
    });
    const event = fixture("aws/health/public-elb-operational-issue.json") as never;

    await account.events.deliver(event, "default", "ap-southeast-2");
    expect(seen).toEqual([]);

    account.events.addRule({
      name: "forward",
      region: "ap-southeast-2",
      pattern: { source: ["aws.health"] },
      targets: [{ Id: "stack-bus", Arn: account.arn("events", "event-bus/default") }],
    });
    await account.events.deliver(event, "default", "ap-southeast-2");
    expect(seen).toEqual(["ap-southeast-2"]);
  });
});

describe("failover across regions", () => {
  it("fails over with the stack in a third region: every write lands in the replica's region, Route 53 globally", async () => {
    const p = await setUp();
    p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
    await p.deliver(fixture("aws/health/route53-health-check-alarm.json") as never);
    await approve(p);
    await p.runOut();

    expect(failovers(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
    expect(writes(p)).toEqual([
      "rds:PromoteReadReplica@us-west-2",
      "lambda:PutProvisionedConcurrencyConfig@us-west-2",
      "ecs:UpdateService@us-west-2",
      "autoscaling:UpdateAutoScalingGroup@us-west-2",
      "ssm:PutParameter@us-west-2",
      "route53:ChangeResourceRecordSets@us-east-1",
    ]);
    // The replica's lag is read where RDS publishes it: the replica's region.
    expect(
      p.account.callsOf({ action: "GetMetricStatistics" }).map((c) => [c.principal, c.region]),
    ).toContainEqual(["switchyard-failover-steps", "us-west-2"]);
  });

  it("runs the shipped examples: stack and primary in one region (ignition), and the stack in a third region (aurora)", async () => {
    const ignition = parseConfig(ignitionExample);
    expect(ignition.region).toBe(ignition.failover.runbooks[0]?.primaryRegion);
    const auroraConfig = parseConfig(auroraExample);
    const aurora = auroraConfig.failover.runbooks[0];
    expect([aurora?.primaryRegion, aurora?.secondaryRegion]).not.toContain(auroraConfig.region);

    for (const name of ["ignition-failover", "aurora-global-failover"]) {
      const result = await playScenario(name, undefined);
      expect(result.failures, name).toEqual([]);
      expect(
        result.executions.map((e) => e.status),
        name,
      ).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    }
  });

  it("starts a failover from a composite trigger alarm", async () => {
    const p = await setUp((r) => {
      r.triggers = { alarms: ["ignition-primary-composite"], health: false };
    });
    // The control plane seeded the trigger alarm as a metric alarm: make it the composite it is.
    p.account.cloudwatch.deleteAlarm("ignition-primary-composite");
    p.account.cloudwatch.seedAlarm("ignition-primary-composite", "OK", { composite: true });

    await p.clients.cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: "ignition-primary-composite",
        StateValue: "ALARM",
        StateReason: "both the health check and the error rate",
      }),
    );
    await p.settle();

    expect(failovers(p).map((e) => e.status)).toEqual(["RUNNING"]);
    expect(p.account.sfn.waitingTokens()).toHaveLength(1);
  });

  it("hears an AWS Health issue of the primary region only through the rule forwarding it to the stack's bus", async () => {
    const p = await setUp((r) => {
      r.triggers = { alarms: [], health: true };
    });
    const issue = fixture("aws/health/public-elb-operational-issue.json") as never;

    // AWS Health puts it on ap-southeast-2's default bus; the planned rule there forwards it.
    await p.account.activity.track(() => p.account.events.deliver(issue, "default", "ap-southeast-2"));
    await p.settle();

    expect(failovers(p).map((e) => e.status)).toEqual(["RUNNING"]);
    const forwarded = p.account.callsOf({ service: "events", action: "PutEvents" });
    expect(forwarded.map((c) => c.principal)).toEqual(["events:rule/failover-on-aws-health-ap-southeast-2"]);
  });

  it("plans one Health rule in each runbook region other than the stack's, each forwarding to the stack's bus with its role", () => {
    // The aurora example: the stack in us-east-1, the runbook in eu-west-1 and eu-central-1.
    const plan = planStack(auroraExample, { stage: "production" });
    // The Health rules (ARC Region switch events are forwarded too: test/region-switch.e2e.test.ts).
    const health = (p: typeof plan) =>
      p.forwarding.rules.filter((r) => r.name.includes("failover-on-aws-health"));

    expect(health(plan).map((r) => [r.region, r.name, r.target.arn])).toEqual([
      [
        "eu-central-1",
        "switchyard-production-failover-on-aws-health-eu-central-1",
        "arn:aws:events:us-east-1:123456789012:event-bus/default",
      ],
      [
        "eu-west-1",
        "switchyard-production-failover-on-aws-health-eu-west-1",
        "arn:aws:events:us-east-1:123456789012:event-bus/default",
      ],
    ]);
    expect(JSON.parse(health(plan)[0]?.pattern ?? "{}")).toMatchObject({ source: ["aws.health"] });
    expect(JSON.parse(plan.forwarding.role?.policy ?? "{}")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "events:PutEvents",
          Resource: "arn:aws:events:us-east-1:123456789012:event-bus/default",
        },
      ],
    });
    expect(plan.forwarding.rules.every((r) => r.target.roleArn === plan.forwarding.role?.arn)).toBe(true);
    // The stack's own region hears its Health events directly: no forwarding planned for it.
    const home = planStack(ignitionExample, { stage: "production" });
    expect(health(home).map((r) => r.region)).toEqual(["us-west-2"]);
  });
});

describe("encrypted failback", () => {
  const KEY = "arn:aws:kms:ap-southeast-2:123456789012:key/ignition-db";

  async function failedOver(change: (runbook: Record<string, unknown>) => void) {
    const p = await setUp(change, { encrypted: true });
    await p.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: p.context.failoverStateMachineArn,
        name: "by-hand",
        input: JSON.stringify({
          runbook: "ignition",
          primaryRegion: "ap-southeast-2",
          secondaryRegion: "us-west-2",
          database: { replica: "ignition-db-usw2" },
        }),
      }),
    );
    await p.runOut();
    await approve(p);
    await p.runOut();
    expect(failovers(p).map((e) => e.status)).toEqual(["SUCCEEDED"]);
    const { executionArn } = await startByHand(p, "failback");
    return { p, executionArn };
  }

  it("creates the cross-region replica of an encrypted database with the runbook's key and subnet group of the old primary region", async () => {
    const { p, executionArn } = await failedOver((r) => {
      (r.failback as Record<string, unknown>).kmsKeyId = KEY;
      (r.failback as Record<string, unknown>).dbSubnetGroupName = "ignition-db-private";
    });
    await p.runOut();
    await approve(p);
    await p.runOut();

    expect(p.account.sfn.execution(executionArn)?.status).toBe("SUCCEEDED");
    expect(
      p.account.callsOf({ action: "CreateDBInstanceReadReplica" }).map((c) => [c.input, c.region]),
    ).toEqual([
      [
        {
          DBInstanceIdentifier: "ignition-db-apse2-new",
          SourceDBInstanceIdentifier: "arn:aws:rds:us-west-2:123456789012:db:ignition-db-usw2",
          SourceRegion: "us-west-2",
          AvailabilityZone: "ap-southeast-2a",
          KmsKeyId: KEY,
          DBSubnetGroupName: "ignition-db-private",
        },
        "ap-southeast-2",
      ],
    ]);
    expect(p.account.rds.describe("ignition-db-apse2-new", "ap-southeast-2")).toMatchObject({
      region: "ap-southeast-2",
      kmsKeyId: KEY,
      dbSubnetGroup: "ignition-db-private",
    });
  });

  it("fails the resync as RDS refuses an encrypted cross-region replica without a KMS key, creating nothing", async () => {
    const { p, executionArn } = await failedOver(() => undefined);
    await p.runOut();

    const execution = p.account.sfn.execution(executionArn);
    expect(execution?.status).toBe("FAILED");
    expect(execution?.error).toBe("Rds.InvalidParameterCombination");
    expect(p.account.rds.describe("ignition-db-apse2-new")).toBeUndefined();
  });

  it("rejects at load a failback key of another region than the one the replica is created in", () => {
    expect(() =>
      runbookConfig("https://api.example.com/health", (r) => {
        (r.failback as Record<string, unknown>).kmsKeyId =
          "arn:aws:kms:us-west-2:123456789012:key/ignition-db";
      }),
    ).toThrow(
      /failover\.runbooks\[0\]\.failback\.kmsKeyId: is a key of us-west-2; the new replica is created in primaryRegion \(ap-southeast-2\)/,
    );
  });
});
