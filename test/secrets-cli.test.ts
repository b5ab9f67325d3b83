import { describe, expect, it } from "vitest";
import { inRepo, switchyard } from "./support/cli.ts";

describe("switchyard and secrets", () => {
  // The secret is outside the config, so the rotate function's role may not touch it: IAM denies the
  // call before Secrets Manager looks the secret up, as AWS does.
  it("invoke rotate exits 1 with the error's type and message, and no stack trace, for a secret outside its grants", () => {
    const { code, stderr } = switchyard(
      "invoke",
      "rotate",
      inRepo("test/fixtures/aws/secretsmanager/rotation-create-secret.json"),
    );

    expect(code).toBe(1);
    expect(stderr).toBe(
      "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/switchyard-rotate-role/switchyard-rotate " +
        "is not authorized to perform: secretsmanager:DescribeSecret on resource: " +
        "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3 because no identity-based " +
        "policy allows the secretsmanager:DescribeSecret action\n",
    );
  });

  it("status lists each configured secret of the simulated account with its rotation dates, without errors", () => {
    // The config holds no secret values: the simulated account is seeded with generated ones.
    const { code, stdout } = switchyard(
      "status",
      "--config",
      inRepo("examples/podinfo/switchyard.config.ts"),
    );

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /\nsecrets:\npodinfo-api {6}custom {23}last rotation: never, next: \d{4}-\d\d-\d\dT[\d:.]+Z\n/,
    );
    expect(stdout).not.toMatch(/Exception|STUCK/);
  });
});
