import { GetAliasCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { createAllClients } from "../packages/core/src/aws/all-clients.ts";
import { attachDryRun, type PlannedWrite } from "../packages/core/src/aws/dry-run.ts";
import { SimulatedAccount } from "../packages/sim/src/index.ts";

describe("dry run beneath the SDK clients", () => {
  it("sends reads to the account and records writes instead of sending them", async () => {
    const account = new SimulatedAccount();
    account.lambda.seedFunction({ name: "api-handler", alias: "live", versions: 2 });
    const plan: PlannedWrite[] = [];
    const clients = createAllClients({
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      attach: (client) => {
        account.attach(client);
        attachDryRun(client, plan);
      },
    });

    const alias = await clients.lambda.send(
      new GetAliasCommand({ FunctionName: "api-handler", Name: "live" }),
    );
    await clients.lambda.send(
      new UpdateAliasCommand({
        FunctionName: "api-handler",
        Name: "live",
        FunctionVersion: "2",
        RevisionId: alias.RevisionId,
      }),
    );

    expect(account.lambda.aliasState("api-handler", "live")).toEqual({ version: "1", weights: {} });
    expect(account.callsOf({ action: "UpdateAlias" })).toHaveLength(0);
    expect(account.callsOf({ action: "GetAlias" })).toHaveLength(1);
    expect(plan).toEqual([
      {
        service: "Lambda",
        action: "UpdateAlias",
        input: {
          FunctionName: "api-handler",
          Name: "live",
          FunctionVersion: "2",
          RevisionId: alias.RevisionId,
        },
      },
    ]);
  });
});
