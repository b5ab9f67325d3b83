import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "../index.ts";

describe("Route 53 changes in the simulated account", () => {
  it("applies a change batch all or nothing, PENDING until it propagates a minute later", async () => {
    const account = new SimulatedAccount();
    account.route53.seedZone("Z1", "example.com", [
      { Name: "api.example.com", Type: "CNAME", TTL: 60, ResourceRecords: [{ Value: "east.example.com" }] },
    ]);
    const change = (Changes: unknown[]) =>
      account.call("route53", "ChangeResourceRecordSets", { HostedZoneId: "Z1", ChangeBatch: { Changes } });
    const upsert = {
      Action: "UPSERT",
      ResourceRecordSet: {
        Name: "api.example.com",
        Type: "CNAME",
        TTL: 60,
        ResourceRecords: [{ Value: "west.example.com" }],
      },
    };
    const badDelete = { Action: "DELETE", ResourceRecordSet: { Name: "gone.example.com", Type: "A" } };

    await expect(change([upsert, badDelete])).rejects.toMatchObject({ name: "InvalidChangeBatch" });
    expect(account.route53.recordValues("Z1", "api.example.com", "CNAME")).toEqual(["east.example.com"]);
    const { ChangeInfo } = (await change([upsert])) as { ChangeInfo: { Id: string; Status: string } };
    expect(ChangeInfo.Status).toBe("PENDING");
    account.clock.tick(60_000);

    expect(await account.call("route53", "GetChange", { Id: ChangeInfo.Id })).toMatchObject({
      ChangeInfo: { Status: "INSYNC" },
    });
  });
});

describe("SSM parameters and Auto Scaling groups in the simulated account", () => {
  it("refuses to overwrite a parameter without Overwrite, and versions each change", async () => {
    const account = new SimulatedAccount();
    account.ssm.seedParameter("/app/db-host", "east");

    await expect(
      account.call("ssm", "PutParameter", { Name: "/app/db-host", Value: "west" }),
    ).rejects.toMatchObject({
      name: "ParameterAlreadyExists",
    });
    expect(
      await account.call("ssm", "PutParameter", { Name: "/app/db-host", Value: "west", Overwrite: true }),
    ).toMatchObject({
      Version: 2,
    });
  });

  it("refuses a desired capacity outside the group's min and max", async () => {
    const account = new SimulatedAccount();
    account.autoscaling.seedGroup({ name: "web", region: "us-east-1", min: 1, max: 4, desired: 2 });

    await expect(
      account.call("autoscaling", "UpdateAutoScalingGroup", {
        AutoScalingGroupName: "web",
        DesiredCapacity: 5,
      }),
    ).rejects.toMatchObject({ name: "ValidationError" });
    await account.call("autoscaling", "UpdateAutoScalingGroup", {
      AutoScalingGroupName: "web",
      DesiredCapacity: 4,
    });
    expect(account.autoscaling.group("web")?.desired).toBe(4);
  });
});
