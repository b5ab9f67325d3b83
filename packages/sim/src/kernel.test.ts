import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "./index.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

function attached<T extends LambdaClient | EventBridgeClient | CloudWatchClient>(
  account: SimulatedAccount,
  client: T,
): T {
  account.attach(client);
  return client;
}

describe("the kernel the simulated services run on", () => {
  it("answers each call in its client's region, and the work a call causes inherits that region", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const seen: string[] = [];
    const probe = async () => {
      seen.push(account.clientRegion());
      return account.clientRegion();
    };
    account.lambda.registerHandler("probe", probe);
    // Functions are regional: a client of eu-west-1 reaches only a function there.
    account.lambda.seedFunction({ name: "probe-euw1", region: "eu-west-1" });
    account.lambda.registerHandler("probe-euw1", probe);
    // Rules are regional: an event put in ap-southeast-2 reaches the rules of ap-southeast-2.
    account.events.addRule({
      name: "to-probe",
      region: "ap-southeast-2",
      pattern: { source: ["test.probe"] },
      targets: [{ Id: "probe", Arn: account.lambda.functionArn("probe") }],
    });
    const invoke = async (client: LambdaClient, name = "probe") => {
      const out = await client.send(new InvokeCommand({ FunctionName: name }));
      return JSON.parse(new TextDecoder().decode(out.Payload));
    };

    expect(account.clientRegion()).toBe("us-east-1");
    const euWest1 = attached(account, new LambdaClient({ region: "eu-west-1", credentials }));
    expect(await invoke(euWest1, "probe-euw1")).toBe("eu-west-1");
    await expect(invoke(euWest1)).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(await invoke(attached(account, new LambdaClient({ region: "us-east-1", credentials })))).toBe(
      "us-east-1",
    );
    // An event put from another region reaches its targets in that region (delivery is asynchronous).
    const events = attached(account, new EventBridgeClient({ region: "ap-southeast-2", credentials }));
    await events.send(
      new PutEventsCommand({ Entries: [{ Source: "test.probe", DetailType: "Probe", Detail: "{}" }] }),
    );
    await account.activity.idle();
    // Outside any call: the account's own region.
    await account.lambda.invoke("probe", {}, { principal: "operator" });

    expect(seen).toEqual(["eu-west-1", "us-east-1", "ap-southeast-2", "us-east-1"]);
    expect(account.clientRegion()).toBe("us-east-1");
  });

  it("has CloudWatch answer RDS's replica lag metrics from the sources RDS registers, in the replica's region", async () => {
    const account = new SimulatedAccount();
    account.rds.seedInstance({ id: "orders", region: "us-east-1" });
    account.rds.seedInstance({ id: "orders-replica", region: "us-west-2", source: "orders", lagSeconds: 42 });
    account.rds.seedGlobalCluster({
      id: "global-orders",
      writer: { cluster: "orders-east", region: "us-east-1" },
      readers: [{ cluster: "orders-west", region: "us-west-2", lagMs: 800 }],
    });
    const east = attached(account, new CloudWatchClient({ region: "us-east-1", credentials }));
    const west = attached(account, new CloudWatchClient({ region: "us-west-2", credentials }));
    const statistics = (MetricName: string, Name: string, Value: string, cloudwatch = west) =>
      cloudwatch.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/RDS",
          MetricName,
          Dimensions: [{ Name, Value }],
          StartTime: new Date(account.clock.now() - 300_000),
          EndTime: account.clock.date(),
          Period: 60,
          Statistics: ["Maximum"],
        }),
      );

    const replica = await statistics("ReplicaLag", "DBInstanceIdentifier", "orders-replica");
    expect(replica.Label).toBe("ReplicaLag");
    expect(replica.Datapoints).toEqual([
      { Timestamp: account.clock.date(), Maximum: 42, Average: 42, Unit: "Seconds" },
    ]);
    // The replica's region publishes its lag; another region has no data for it.
    expect(
      (await statistics("ReplicaLag", "DBInstanceIdentifier", "orders-replica", east)).Datapoints,
    ).toEqual([]);
    // A primary has no replica lag: no datapoints, as CloudWatch answers for a metric with no data.
    expect((await statistics("ReplicaLag", "DBInstanceIdentifier", "orders", east)).Datapoints).toEqual([]);
    const global = await statistics("AuroraGlobalDBReplicationLag", "DBClusterIdentifier", "orders-west");
    expect(global.Datapoints).toEqual([
      { Timestamp: account.clock.date(), Maximum: 800, Average: 800, Unit: "Milliseconds" },
    ]);
    // No service publishes this metric in the simulated account.
    await expect(statistics("CPUUtilization", "DBInstanceIdentifier", "orders")).rejects.toMatchObject({
      name: "InvalidAction",
    });
  });
});
