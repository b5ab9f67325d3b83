import { describe, expect, it } from "vitest";
import { functions, sentActions } from "../packages/core/src/wiring.ts";

/** IAM service prefix → the AwsClients member that speaks to it (DynamoDB is always there). */
const CLIENT_OF: Record<string, string> = {
  lambda: "lambda",
  states: "sfn",
  events: "eventbridge",
  cloudwatch: "cloudwatch",
  ecr: "ecr",
  sqs: "sqs",
  sns: "sns",
  secretsmanager: "secrets",
  ec2: "ec2",
  rds: "rds",
  ecs: "ecs",
  ssm: "ssm",
  autoscaling: "autoscaling",
};

/**
 * Each function bundles only the SDK clients it declares; a client its code calls but does not
 * declare would fail in AWS only. The declared list must be exactly the services its granted
 * (and, by the least-privilege test, used) actions belong to.
 */
describe("each function's declared AWS clients", () => {
  it.each(functions.map((f) => [f.name, f] as const))(
    "are exactly the services %s is granted",
    async (name, spec) => {
      const module = (await import(`../packages/functions/src/${name}.ts`)) as {
        clients: Record<string, unknown>;
      };
      const services = new Set(sentActions(spec.permissions).map((action) => action.split(":")[0] ?? ""));
      services.delete("dynamodb");

      expect(Object.keys(module.clients).sort()).toEqual([...services].map((s) => CLIENT_OF[s]).sort());
    },
  );
});
