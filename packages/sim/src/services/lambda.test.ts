import { BatchDeleteImageCommand, ECRClient } from "@aws-sdk/client-ecr";
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";
import { LAMBDA_CREATE_MS, LAMBDA_UPDATE_MS } from "./lambda.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

function setup() {
  const account = new SimulatedAccount({ region: "us-east-1" });
  const lambda = new LambdaClient({ region: "us-east-1", credentials });
  const ecr = new ECRClient({ region: "us-east-1", credentials });
  account.attach(lambda);
  account.attach(ecr);
  const uri = (digest: string) => `${account.ecr.registryHost()}/api@${digest}`;
  const first = account.ecr.pushImage("api", "1.0.0");
  account.lambda.seedFunction({ name: "api", imageUri: uri(first), alias: "live" });
  const config = () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "api" }));
  return { account, lambda, ecr, uri, first, config };
}

describe("Lambda function states in the simulated account", () => {
  it("keeps a new function Pending until Lambda has provisioned it, refusing invocations and writes meanwhile", async () => {
    const { account, lambda, uri, first } = setup();

    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "worker",
        PackageType: "Image",
        Code: { ImageUri: uri(first) },
        Role: "arn:aws:iam::123456789012:role/worker",
      }),
    );

    expect(created).toMatchObject({ State: "Pending", StateReasonCode: "Creating" });
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: "worker", Payload: new TextEncoder().encode("{}") })),
    ).rejects.toMatchObject({
      name: "ResourceConflictException",
      message:
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    });
    await expect(lambda.send(new PublishVersionCommand({ FunctionName: "worker" }))).rejects.toMatchObject({
      name: "ResourceConflictException",
      message: `The operation cannot be performed at this time. The resource ${account.lambda.functionArn("worker")} is currently in the following state: 'Pending'. StateReasonCode: 'Creating'`,
    });

    account.clock.tick(LAMBDA_CREATE_MS);
    const active = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "worker" }));
    expect(active.State).toBe("Active");
    expect(active.StateReasonCode).toBeUndefined();
    expect(active.RevisionId).not.toBe(created.RevisionId);
    expect((await lambda.send(new PublishVersionCommand({ FunctionName: "worker" }))).Version).toBe("1");
  });

  it("keeps a code update InProgress for a while of virtual time, refusing PublishVersion and updates, then Successful under a new RevisionId", async () => {
    const { account, lambda, uri, config } = setup();
    const second = account.ecr.pushImage("api", "1.1.0");

    const updated = await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: "api", ImageUri: uri(second) }),
    );

    expect(updated).toMatchObject({
      State: "Active",
      LastUpdateStatus: "InProgress",
      CodeSha256: second.replace("sha256:", ""),
    });
    // The update completes on a timer of the virtual clock, not by polling.
    expect(account.clock.pending().map((t) => t.label)).toContain("lambda update api");
    const conflict = {
      name: "ResourceConflictException",
      message: `The operation cannot be performed at this time. An update is in progress for resource: ${account.lambda.functionArn("api")}`,
    };
    await expect(
      lambda.send(new PublishVersionCommand({ FunctionName: "api", RevisionId: updated.RevisionId })),
    ).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "api", ImageUri: uri(second) })),
    ).rejects.toMatchObject(conflict);
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: "api", Timeout: 30 })),
    ).rejects.toMatchObject(conflict);
    account.clock.tick(LAMBDA_UPDATE_MS - 1);
    expect((await config()).LastUpdateStatus).toBe("InProgress");

    account.clock.tick(1);
    const done = await lambda.send(new GetFunctionCommand({ FunctionName: "api" }));

    expect(done.Configuration).toMatchObject({
      LastUpdateStatus: "Successful",
      CodeSha256: updated.CodeSha256,
    });
    expect(done.Code).toEqual({
      RepositoryType: "ECR",
      ImageUri: uri(second),
      ResolvedImageUri: uri(second),
    });
    // The RevisionId UpdateFunctionCode returned is stale once the update completes.
    expect(done.Configuration?.RevisionId).not.toBe(updated.RevisionId);
    await expect(
      lambda.send(new PublishVersionCommand({ FunctionName: "api", RevisionId: updated.RevisionId })),
    ).rejects.toMatchObject({ name: "PreconditionFailedException" });
    const published = await lambda.send(
      new PublishVersionCommand({
        FunctionName: "api",
        RevisionId: done.Configuration?.RevisionId,
        CodeSha256: done.Configuration?.CodeSha256,
      }),
    );
    expect(published).toMatchObject({ Version: "2", CodeSha256: second.replace("sha256:", "") });
  });

  it("fails an update whose image left ECR before Lambda pulled it, keeping the previous code", async () => {
    const { account, lambda, ecr, uri, first, config } = setup();
    const second = account.ecr.pushImage("api", "1.1.0");
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "api", ImageUri: uri(second) }));

    await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "api", imageIds: [{ imageDigest: second }] }),
    );
    account.clock.tick(LAMBDA_UPDATE_MS);

    expect(await config()).toMatchObject({
      State: "Active",
      LastUpdateStatus: "Failed",
      LastUpdateStatusReasonCode: "ImageDeleted",
      CodeSha256: first.replace("sha256:", ""),
      ImageUri: uri(first),
    });
    expect((await config()).LastUpdateStatusReason).toContain(uri(second));
    // Nothing new to publish: $LATEST still runs version 1's code.
    expect((await lambda.send(new PublishVersionCommand({ FunctionName: "api" }))).Version).toBe("1");
  });

  it("rejects an image index at once with InvalidParameterValueException and leaves the function as it was", async () => {
    const { account, lambda, uri, config } = setup();
    const index = account.ecr.pushIndex("api", "1.2.0", { platforms: ["linux/amd64", "linux/arm64"] });
    const before = await config();

    await expect(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "api", ImageUri: uri(index) })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: `The image manifest, config or layer media type for the source image ${uri(index)} is not supported.`,
    });

    expect(await config()).toMatchObject({
      LastUpdateStatus: "Successful",
      RevisionId: before.RevisionId,
      CodeSha256: before.CodeSha256,
    });
    expect(account.clock.pending()).toEqual([]);
  });

  it("rejects an image digest that the repository does not hold", async () => {
    const { lambda, uri } = setup();
    const missing = `sha256:${"0".repeat(64)}`;

    await expect(
      lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "api", ImageUri: uri(missing) })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: `Source image ${uri(missing)} does not exist. Provide a valid source image.`,
    });
  });

  it("applies a configuration update after its interval, and publishes it as a new version once", async () => {
    const { account, lambda, config } = setup();

    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "api",
        Timeout: 30,
        Environment: { Variables: { MODE: "strict" } },
      }),
    );
    expect(updated).toMatchObject({ LastUpdateStatus: "InProgress", Timeout: 30 });
    await expect(lambda.send(new PublishVersionCommand({ FunctionName: "api" }))).rejects.toMatchObject({
      name: "ResourceConflictException",
    });
    account.clock.tick(LAMBDA_UPDATE_MS);

    expect(await config()).toMatchObject({
      LastUpdateStatus: "Successful",
      Timeout: 30,
      Environment: { Variables: { MODE: "strict" } },
    });
    const published = await lambda.send(new PublishVersionCommand({ FunctionName: "api" }));
    expect(published).toMatchObject({ Version: "2", Timeout: 30 });
    expect((await lambda.send(new PublishVersionCommand({ FunctionName: "api" }))).Version).toBe("2");
  });
});

describe("Lambda versions and aliases in the simulated account", () => {
  const call = (account: SimulatedAccount, action: string, input: Record<string, unknown>) =>
    account.call("lambda", action, input);

  it("routes an alias to at most one additional version, with a weight between 0 and 1, never $LATEST", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "api", versions: 3, alias: "live" });
    const route = (weights: Record<string, number>, FunctionVersion = "1") =>
      call(account, "UpdateAlias", {
        FunctionName: "api",
        Name: "live",
        FunctionVersion,
        RoutingConfig: { AdditionalVersionWeights: weights },
      });

    await expect(route({ "2": 0.1, "3": 0.1 })).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    await expect(route({ "2": 1.5 })).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(route({ $LATEST: 0.1 })).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(route({ "1": 0.1 })).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    await expect(route({ "9": 0.1 })).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await route({ "2": 0.1 });

    expect(account.lambda.aliasState("api", "live")).toEqual({ version: "1", weights: { "2": 0.1 } });
  });

  it("honours UpdateAlias's RevisionId and changes it with every update", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "api", versions: 2, alias: "live" });
    const { RevisionId } = await call(account, "GetAlias", { FunctionName: "api", Name: "live" });

    const moved = await call(account, "UpdateAlias", {
      FunctionName: "api",
      Name: "live",
      FunctionVersion: "2",
      RevisionId,
    });

    expect(moved.RevisionId).not.toBe(RevisionId);
    await expect(
      call(account, "UpdateAlias", { FunctionName: "api", Name: "live", FunctionVersion: "1", RevisionId }),
    ).rejects.toMatchObject({ name: "PreconditionFailedException" });
    expect(account.lambda.aliasState("api", "live")?.version).toBe("2");
  });

  it("publishes only the CodeSha256 asked for, and versions never change", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "api", versions: 1 });
    const v1 = await call(account, "GetFunctionConfiguration", { FunctionName: "api", Qualifier: "1" });

    await expect(
      call(account, "PublishVersion", { FunctionName: "api", CodeSha256: "other" }),
    ).rejects.toMatchObject({
      name: "InvalidParameterValueException",
    });
    await call(account, "UpdateFunctionConfiguration", { FunctionName: "api", MemorySize: 512 });
    account.clock.tick(LAMBDA_UPDATE_MS);

    expect(await call(account, "GetFunctionConfiguration", { FunctionName: "api", Qualifier: "1" })).toEqual(
      v1,
    );
  });

  it("allocates provisioned concurrency over two minutes of virtual time: IN_PROGRESS, then READY", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "api", versions: 1, alias: "live" });
    const put = await call(account, "PutProvisionedConcurrencyConfig", {
      FunctionName: "api",
      Qualifier: "live",
      ProvisionedConcurrentExecutions: 5,
    });
    expect(put.Status).toBe("IN_PROGRESS");

    account.clock.tick(2 * 60_000);

    expect(
      await call(account, "GetProvisionedConcurrencyConfig", { FunctionName: "api", Qualifier: "live" }),
    ).toMatchObject({ Status: "READY", AllocatedProvisionedConcurrentExecutions: 5 });
  });
});
