import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { AnyClient } from "@switchyard/core/aws/clients";
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

describe("the simulated services keep their resources by region", () => {
  const both = <T extends AnyClient>(account: SimulatedAccount, make: (region: string) => T) => {
    const east = make("us-east-1");
    const west = make("us-west-2");
    account.attach(east);
    account.attach(west);
    return { east, west };
  };

  it("ECR: a repository and its images are seen from its region only", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const digest = account.inRegion("us-west-2", () => account.ecr.pushImage("api", "v1"));
    const { east, west } = both(account, (region) => new ECRClient({ region, credentials }));
    const describe = (client: ECRClient) =>
      client.send(new DescribeImagesCommand({ repositoryName: "api", imageIds: [{ imageDigest: digest }] }));

    expect((await describe(west)).imageDetails?.map((i) => i.imageDigest)).toEqual([digest]);
    await expect(describe(east)).rejects.toMatchObject({ name: "RepositoryNotFoundException" });
    // Lambda resolves an image URI in the region its registry host names.
    expect(account.ecr.resolveImageUri(`${account.ecr.registryHost("us-west-2")}/api@${digest}`).digest).toBe(
      digest,
    );
  });

  it("SQS: a queue takes messages from a client of its region only", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const url = account.sqs.createQueue("dead-letters", "us-west-2");
    const { east, west } = both(account, (region) => new SQSClient({ region, credentials }));
    const send = (client: SQSClient) =>
      client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x" }));

    await send(west);
    await expect(send(east)).rejects.toMatchObject({ name: "AWS.SimpleQueueService.NonExistentQueue" });
    expect(account.sqs.messages("dead-letters", "us-west-2")).toHaveLength(1);
    expect(account.sqs.messages("dead-letters")).toEqual([]);
  });

  it("SNS: a topic takes a Publish from a client of its region only, answering InvalidParameter elsewhere", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const topic = account.sns.createTopic("arn:aws:sns:us-west-2:123456789012:oncall");
    const { east, west } = both(account, (region) => new SNSClient({ region, credentials }));
    const publish = (client: SNSClient) =>
      client.send(new PublishCommand({ TopicArn: topic, Message: "failover done" }));

    await publish(west);
    await expect(publish(east)).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: "Invalid parameter: TopicArn",
    });
    expect(account.sns.published(topic).map((m) => m.Message)).toEqual(["failover done"]);
  });

  it("Secrets Manager: a secret is read from its region only, by name or ARN", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    const arn = account.secrets.seedSecret("prod/api", "value-west", { region: "us-west-2" });
    const { east, west } = both(account, (region) => new SecretsManagerClient({ region, credentials }));
    const read = (client: SecretsManagerClient, id: string) =>
      client.send(new GetSecretValueCommand({ SecretId: id }));

    expect((await read(west, "prod/api")).SecretString).toBe("value-west");
    expect((await read(west, arn)).ARN).toBe(arn);
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-west-2:/);
    await expect(read(east, "prod/api")).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(read(east, arn)).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("EC2: an instance is described and stopped from its region only", async () => {
    const account = new SimulatedAccount({ region: "us-east-1" });
    account.ec2.seedInstance({ id: "i-0123456789abcdef0", region: "us-west-2" });
    const { east, west } = both(account, (region) => new EC2Client({ region, credentials }));
    const ids = async (client: EC2Client) =>
      ((await client.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) =>
        (r.Instances ?? []).map((i) => i.InstanceId),
      );

    expect(await ids(west)).toEqual(["i-0123456789abcdef0"]);
    expect(await ids(east)).toEqual([]);
    await expect(
      east.send(new StopInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
    ).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
    await west.send(new StopInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] }));
    expect(account.ec2.state("i-0123456789abcdef0", "us-west-2")).toBe("stopping");
  });
});
