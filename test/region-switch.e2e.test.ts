import { SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import type { BusEventOut } from "../packages/sim/src/index.ts";
import { names } from "../stacks/plan/names.ts";
import { planForwarding } from "../stacks/plan/rules.ts";
import { runbookConfig, runbookPlane, TOPIC } from "./support/failover.ts";
import { fixture } from "./support/scenario.ts";

/**
 * Regional events that reach the stack only through forwarding rules (issue #10, items 3 and 4):
 * ARC Region switch plan executions, recorded like ARC zonal shifts, and the state changes of a
 * failover trigger alarm that lives in another region than the stack. The support runbook: stack
 * in us-east-1, primary ap-southeast-2, replica us-west-2.
 */

let opened: Awaited<ReturnType<typeof runbookPlane>> | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

async function setUp(change?: (runbook: Record<string, unknown>) => void): Promise<ControlPlane> {
  opened = await runbookPlane(change);
  return opened.plane;
}

/** Sets a trigger alarm's state as CloudWatch would, with a client of `region`. */
async function alarmGoesOff(p: ControlPlane, region: string) {
  await p.clients.forRegion(region).cloudwatch.send(
    new SetAlarmStateCommand({
      AlarmName: "ignition-primary-health",
      StateValue: "ALARM",
      StateReason: "Route 53 health check failing",
    }),
  );
  await p.runOut();
}

/** An event as AWS puts it on the default bus of `region`. */
async function putIn(p: ControlPlane, region: string, event: BusEventOut) {
  await p.account.activity.track(() => p.account.events.deliver(event, "default", region));
  await p.runOut();
}

const regionSwitch = (name: string) => fixture<BusEventOut>(`aws/arc-region-switch/${name}.json`);
const recorded = async (p: ControlPlane) =>
  (await listAudit(p.store)).filter((a) => a.decision.startsWith("region-switch-"));
const failovers = (p: ControlPlane) =>
  p.account.sfn.executions().filter((e) => e.stateMachineArn.endsWith(":switchyard-failover"));

const ALARM_ARN = "arn:aws:cloudwatch:us-west-2:123456789012:alarm:ignition-primary-health";

describe("ARC Region switch plan executions", () => {
  it("plans a forwarding rule in every region the config names but the stack's", () => {
    const config = runbookConfig("https://api.ignition.example.com/health");

    expect(
      planForwarding(config, names(config, "production"))
        .rules.filter((r) => r.name.includes("failover-on-region-switch"))
        .map((r) => [r.region, JSON.parse(r.pattern)]),
    ).toEqual([
      [
        "ap-southeast-2",
        { source: ["aws.arc-region-switch"], "detail-type": ["ARC Region Switch Plan Execution"] },
      ],
      [
        "us-west-2",
        { source: ["aws.arc-region-switch"], "detail-type": ["ARC Region Switch Plan Execution"] },
      ],
    ]);
  });

  it("records a plan execution put in another region, names the runbook there, notifies, and starts no failover", async () => {
    const p = await setUp();

    await putIn(p, "us-west-2", regionSwitch("plan-execution-started"));

    const [entry, ...more] = await recorded(p);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      reaction: "failover",
      decision: "region-switch-started",
      subject: "arn:aws:arc-region-switch::111122223333:plan/orders-plan:abc123",
      details: {
        executionId: "exec-20261120-a1b2c3",
        executionAction: "activate",
        executionRegion: "us-west-2",
        mode: "graceful",
        runbooks: ["ignition"],
      },
    });
    expect(entry?.reason).toContain("no failover started");
    expect(p.account.sns.published(TOPIC).map((m) => m.Subject)).toEqual([
      "Region switch started: arn:aws:arc-region-switch::111122223333:plan/orders-plan:abc123",
    ]);
    expect(failovers(p)).toEqual([]);
  });

  it("records completed and failed executions, with the failure's words", async () => {
    const p = await setUp();

    await putIn(p, "ap-southeast-2", regionSwitch("plan-execution-completed"));
    await putIn(p, "us-west-2", regionSwitch("plan-execution-failed"));

    expect((await recorded(p)).map((a) => a.decision).sort()).toEqual([
      "region-switch-completed",
      "region-switch-failed",
    ]);
  });

  it("records one event forwarded from two regions once", async () => {
    const p = await setUp();

    await putIn(p, "us-west-2", regionSwitch("plan-execution-started"));
    await putIn(p, "ap-southeast-2", regionSwitch("plan-execution-started"));

    expect(await recorded(p)).toHaveLength(1);
    expect(p.account.sns.published(TOPIC)).toHaveLength(1);
  });

  it("hears nothing from a region the config does not name", async () => {
    const p = await setUp();

    await putIn(p, "eu-central-1", regionSwitch("plan-execution-started"));

    expect(await recorded(p)).toEqual([]);
  });
});

describe("a failover trigger alarm in another region than the stack", () => {
  const inUsWest2 = (r: Record<string, unknown>) => {
    r.triggers = { alarms: [ALARM_ARN], health: false };
  };

  it("plans a forwarding rule in the alarm's region that matches that alarm only", () => {
    const config = runbookConfig("https://api.ignition.example.com/health", inUsWest2);

    const forwarded = planForwarding(config, names(config, "production")).rules.filter((r) =>
      r.name.includes("failover-on-health-alarm"),
    );
    expect(forwarded.map((r) => [r.region, JSON.parse(r.pattern)])).toEqual([
      [
        "us-west-2",
        {
          source: ["aws.cloudwatch"],
          "detail-type": ["CloudWatch Alarm State Change"],
          detail: { state: { value: ["ALARM"] }, alarmName: ["ignition-primary-health"] },
        },
      ],
    ]);
  });

  it("starts the runbook's failover when the alarm goes to ALARM in its region", async () => {
    const p = await setUp(inUsWest2);

    await alarmGoesOff(p, "us-west-2");

    expect(failovers(p)).toHaveLength(1);
    // The trigger read the alarm where it lives.
    expect(
      p.account
        .callsOf({ action: "DescribeAlarms" })
        .map((c) => [c.principal.split("-").slice(1).join("-"), c.region]),
    ).toContainEqual(["failover-trigger", "us-west-2"]);
  });

  it("ignores the same alarm name in the stack's region", async () => {
    const p = await setUp(inUsWest2);
    p.account.cloudwatch.seedAlarm("ignition-primary-health", "OK");

    await alarmGoesOff(p, "us-east-1");

    expect(failovers(p)).toEqual([]);
  });
});
