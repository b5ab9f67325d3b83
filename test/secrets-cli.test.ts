import { describe, expect, it } from "vitest";
import { inRepo, switchyard } from "./support/cli.ts";

describe("switchyard and secrets", () => {
  it("invoke rotate exits 1 with the error's type and message, and no stack trace, for a secret that does not exist", () => {
    const { code, stderr } = switchyard(
      "invoke",
      "rotate",
      inRepo("test/fixtures/aws/secretsmanager/rotation-create-secret.json"),
    );

    expect(code).toBe(1);
    expect(stderr).toBe("ResourceNotFoundException: Secrets Manager can't find the specified secret.\n");
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
