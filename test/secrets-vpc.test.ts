import {
  CreateFunctionCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { LOCAL_NAMES, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { ConfigError, parseConfig } from "../packages/core/src/config/index.ts";
import { type Role, SimulatedAccount } from "../packages/sim/src/index.ts";
import { planStack } from "../stacks/plan.ts";

/**
 * Rotating a private database's credentials (issue #10, item 6): the rotation function runs in the
 * database's VPC (config `rotation.vpc`), and Lambda needs its execution role to manage network
 * interfaces there — it checks the role when the function is created or its VPC configuration
 * changes (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
 */

const VPC = {
  subnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
  securityGroupIds: ["sg-0123456789abcdef0"],
};
const ENI_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
];
const SECRET = { name: "orders-db", secretId: "prod/orders/db", rotator: "random" };
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

describe("the rotation function in a VPC, planned", () => {
  it("puts Switchyard's rotation function, and only it, in the configured subnets and security groups", () => {
    const plan = planStack({ secrets: [SECRET], rotation: { vpc: VPC } }, { stage: "production" });

    const rotate = plan.functions.find((f) => f.name === "rotate");
    expect(rotate?.vpc).toEqual({
      ...VPC,
      rolePolicy: {
        arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        statements: [{ actions: expect.arrayContaining(ENI_ACTIONS), resources: ["*"] }],
      },
    });
    expect(plan.functions.filter((f) => f.vpc).map((f) => f.name)).toEqual(["rotate"]);
  });

  it("plans no VPC without rotation.vpc", () => {
    const plan = planStack({ secrets: [SECRET] }, { stage: "production" });

    expect(plan.functions.filter((f) => f.vpc)).toEqual([]);
  });

  it("rejects subnets and security groups that are not their IDs, naming the field", () => {
    const load = () =>
      parseConfig({ rotation: { vpc: { subnetIds: ["orders-private-a"], securityGroupIds: [] } } }, "x.ts");

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/rotation\.vpc\.subnetIds\[0\]: must be a subnet ID/);
    expect(load).toThrow(/rotation\.vpc\.securityGroupIds: list a security group/);
  });
});

describe("Lambda's check of a VPC function's execution role", () => {
  const role = (name: string, actions: string[]): Role => ({
    roleName: name,
    sessionName: name,
    statements: actions.length ? [{ effect: "Allow", actions, resources: ["*"] }] : [],
  });
  const world = () => {
    const account = new SimulatedAccount();
    account.enforce(
      new Map([
        ["with-eni", role("with-eni", ENI_ACTIONS)],
        ["without-eni", role("without-eni", ["ec2:DescribeNetworkInterfaces"])],
      ]),
    );
    const lambda = new LambdaClient({ region: "us-east-1", credentials });
    account.attach(lambda);
    const create = (name: string, roleName: string) =>
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Role: `arn:aws:iam::123456789012:role/${roleName}`,
          Code: { ZipFile: new TextEncoder().encode("zip") },
          VpcConfig: { SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds },
        }),
      );
    return { account, lambda, create };
  };

  it("refuses to create a VPC function whose role cannot create network interfaces", async () => {
    const { create } = world();

    await expect(create("rotator", "without-eni")).rejects.toMatchObject({
      name: "InvalidParameterValueException",
      message: "The provided execution role does not have permissions to call CreateNetworkInterface on EC2",
    });
    await expect(create("rotator", "with-eni")).resolves.toMatchObject({ State: "Pending" });
  });

  it("refuses to move a function into a VPC when its role cannot manage network interfaces", async () => {
    const { account, lambda } = world();
    account.lambda.seedFunction({ name: "rotator" });

    await expect(
      lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "rotator",
          Role: "arn:aws:iam::123456789012:role/without-eni",
          VpcConfig: { SubnetIds: VPC.subnetIds, SecurityGroupIds: VPC.securityGroupIds },
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
  });

  it("runs the local control plane's rotation function in the VPC with the planned role, and rotates", async () => {
    const p = await startControlPlane(parseConfig({ secrets: [SECRET], rotation: { vpc: VPC } }), {
      secretValues: { [SECRET.secretId]: "initial-0000000000000000000000000000" },
    });
    try {
      const rotate = `${LOCAL_NAMES.functionPrefix}rotate`;
      const planned = p.account.roleOf(rotate);
      if (!planned) throw new Error("no role for the rotation function");
      // The role the plan gives it may manage network interfaces; without AWSLambdaVPCAccessExecutionRole it may not.
      p.account.enforce(
        new Map([
          [
            rotate,
            {
              ...planned,
              statements: planned.statements.filter((s) => !s.actions.includes(ENI_ACTIONS[0] ?? "")),
            },
          ],
        ]),
      );
      const roleArn = `arn:aws:iam::123456789012:role/${planned.roleName}`;
      expect(() => p.account.lambda.configureVpc(rotate, { roleArn, ...VPC })).toThrow(
        "The provided execution role does not have permissions to call CreateNetworkInterface on EC2",
      );
      p.account.enforce(new Map([[rotate, planned]]));
      p.account.lambda.configureVpc(rotate, { roleArn, ...VPC });

      await p.clients.secrets.send(new RotateSecretCommand({ SecretId: SECRET.secretId }));
      await p.runOut();

      expect(p.account.secrets.rotations.at(-1)?.error).toBeUndefined();
    } finally {
      await p.close();
    }
  });
});
