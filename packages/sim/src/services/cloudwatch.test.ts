import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

describe("CloudWatch DescribeAlarms in the simulated account", () => {
  it("returns only metric alarms unless AlarmTypes asks for composite ones", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const cloudwatch = new CloudWatchClient({ region: "us-east-1", credentials });
    account.attach(cloudwatch);
    account.cloudwatch.seedAlarm("api-errors", "OK");
    account.cloudwatch.seedAlarm("region-health", "ALARM", { composite: true });
    const names = (out: {
      MetricAlarms?: { AlarmName?: string }[];
      CompositeAlarms?: { AlarmName?: string }[];
    }) => ({
      metric: (out.MetricAlarms ?? []).map((a) => a.AlarmName),
      composite: (out.CompositeAlarms ?? []).map((a) => a.AlarmName),
    });
    const AlarmNames = ["api-errors", "region-health"];

    const untyped = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames }));
    const composite = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames, AlarmTypes: ["CompositeAlarm"] }),
    );
    const both = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
    );

    expect(names(untyped)).toEqual({ metric: ["api-errors"], composite: [] });
    expect(names(composite)).toEqual({ metric: [], composite: ["region-health"] });
    expect(names(both)).toEqual({ metric: ["api-errors"], composite: ["region-health"] });
  });
});

describe("CloudWatch alarm state in the simulated account", () => {
  it("emits a state change event only when the state changes, and starts a new alarm in INSUFFICIENT_DATA", async () => {
    const account = new SimulatedAccount();
    const changes: string[] = [];
    account.events.onIncoming((e) => {
      if (e["detail-type"] === "CloudWatch Alarm State Change")
        changes.push((e.detail as { state: { value: string } }).state.value);
    });
    await account.call("cloudwatch", "PutMetricAlarm", {
      AlarmName: "api-errors",
      MetricName: "Errors",
      Namespace: "AWS/Lambda",
    });
    expect(account.cloudwatch.stateOf("api-errors")).toBe("INSUFFICIENT_DATA");

    for (const StateValue of ["ALARM", "ALARM", "OK"])
      await account.call("cloudwatch", "SetAlarmState", {
        AlarmName: "api-errors",
        StateValue,
        StateReason: "test",
      });
    await account.activity.idle();

    expect(changes).toEqual(["ALARM", "OK"]);
  });
});
