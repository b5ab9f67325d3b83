import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../packages/core/src/config/index.ts";
import { rotators } from "../packages/core/src/secrets/registry.ts";
import { postgresAlternatingUsers } from "../packages/core/src/secrets/rotators/postgres.ts";
import { simulatedSecretValue } from "../packages/core/src/secrets/seed.ts";
import { present } from "./support/scenario.ts";

function problems(secrets: unknown[]): string[] {
  try {
    parseConfig({ secrets });
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe("the secrets section of the config", () => {
  it("fills the defaults: a 7-day schedule and the rotator's options", () => {
    const config = parseConfig({ secrets: [{ name: "api", secretId: "prod/api", rotator: "random" }] });

    expect(config.secrets[0]).toMatchObject({
      schedule: "rate(7 days)",
      options: { length: 40, excludePunctuation: true },
    });
  });

  it("rejects an unknown rotator, naming the field and listing the rotators", () => {
    expect(problems([{ name: "api", secretId: "prod/api", rotator: "postgres-singel-user" }])).toEqual([
      'secrets[0].rotator: unknown rotator "postgres-singel-user"; did you mean "postgres-single-user"? ' +
        "rotators: random, postgres-single-user, postgres-alternating-users, github-webhook-secret, custom",
    ]);
  });

  it("checks a rotator's options against that rotator's schema", () => {
    expect(
      problems([{ name: "db", secretId: "prod/db", rotator: "postgres-alternating-users", options: {} }]),
    ).toEqual([expect.stringMatching(/^secrets\[0\]\.options\.masterSecret: /)]);
  });

  it("requires the rotation function of a custom rotator", () => {
    expect(problems([{ name: "api", secretId: "prod/api", rotator: "custom" }])).toEqual([
      expect.stringMatching(/^secrets\[0\]\.rotationFunction: rotator "custom" needs/),
    ]);
  });

  it("rejects a schedule Secrets Manager would not take", () => {
    expect(
      problems([{ name: "api", secretId: "prod/api", rotator: "random", schedule: "every week" }]),
    ).toEqual([
      expect.stringMatching(/^secrets\[0\]\.schedule: must be a Secrets Manager rotation schedule/),
    ]);
  });
});

describe("the secrets section's bounds", () => {
  const alternating = (username: string) => ({
    name: "db-alt",
    secretId: "prod/db-alt",
    rotator: "postgres-alternating-users",
    options: { masterSecret: "prod/db/master", username },
  });

  it.each(["rate(1 hour)", "rate(3 hours)"])(
    "rejects %s, more often than Secrets Manager's 4-hour minimum, naming the shortest rate",
    (schedule) => {
      expect(problems([{ name: "api", secretId: "prod/api", rotator: "random", schedule }])).toEqual([
        `secrets[0].schedule: "${schedule}" is more often than Secrets Manager rotates a secret ` +
          '(at most every 4 hours): write "rate(4 hours)" or longer',
      ]);
    },
  );

  it.each(["rate(4 hours)", "rate(12 hours)", "rate(1 day)", "cron(0 4 ? * SUN *)"])(
    "accepts %s",
    (schedule) => {
      expect(problems([{ name: "api", secretId: "prod/api", rotator: "random", schedule }])).toEqual([]);
    },
  );

  it("rejects an alternating-users username whose clone would pass PostgreSQL's 63-byte name limit", () => {
    expect(problems([alternating("u".repeat(58))])).toEqual([
      `secrets[0].options.username: the second user "${"u".repeat(58)}_clone" would be 64 bytes, longer than ` +
        "PostgreSQL's 63-byte limit for names (it would be truncated): use a user name of at most 57 bytes",
    ]);
  });

  it("accepts the longest username whose clone fits, and seeds the simulated secret with it", () => {
    const config = parseConfig({ secrets: [alternating("u".repeat(57))] });
    const [secret] = config.secrets;

    expect(secret?.options).toMatchObject({ username: "u".repeat(57) });
    expect(JSON.parse(simulatedSecretValue(secret as never)).username).toBe("u".repeat(57));
  });
});

describe("the alternating-users rotator", () => {
  const value = (username: string) =>
    JSON.stringify({
      engine: "postgres",
      host: "127.0.0.1",
      port: 5432,
      dbname: "app",
      username,
      password: "pw",
    });
  const options = { masterSecret: "prod/db/master", ssl: false };

  it("refuses to make a clone whose name PostgreSQL would truncate, instead of cutting it short", async () => {
    await expect(
      postgresAlternatingUsers.create({} as never, value("u".repeat(58)), options),
    ).rejects.toMatchObject({
      name: "InvalidSecret",
      message: expect.stringContaining(`the second user "${"u".repeat(58)}_clone" would be 64 bytes`),
    });
  });

  it("refuses a secret that holds neither the configured user nor its clone", () => {
    expect(() =>
      postgresAlternatingUsers.validate(value("someone_else"), { ...options, username: "app" }),
    ).toThrow("username: the secret names someone_else; the config's options.username says app or app_clone");
    expect(() =>
      postgresAlternatingUsers.validate(value("app_clone"), { ...options, username: "app" }),
    ).not.toThrow();
  });
});

describe("the simulated account's made-up secret values", () => {
  const config = parseConfig({
    secrets: [
      { name: "api", secretId: "prod/api", rotator: "random", options: { field: "apiKey" } },
      { name: "token", secretId: "prod/token", rotator: "random" },
      { name: "db", secretId: "prod/db", rotator: "postgres-single-user" },
      {
        name: "db-alt",
        secretId: "prod/db-alt",
        rotator: "postgres-alternating-users",
        options: { masterSecret: "prod/db/master" },
      },
      {
        name: "hook",
        secretId: "prod/hook",
        rotator: "github-webhook-secret",
        options: {
          owner: "Codertocat",
          repo: "Hello-World",
          hookId: 4,
          tokenSecret: "prod/github-token",
          receiverUrl: "https://abc.lambda-url.us-east-1.on.aws/",
        },
      },
    ],
  });

  it.each(config.secrets.map((s) => [s.rotator, s] as const))(
    "pass the %s rotator's validation",
    (_, secret) => {
      const rotator = rotators[secret.rotator as keyof typeof rotators];
      expect(() => rotator.validate(simulatedSecretValue(secret), secret.options as never)).not.toThrow();
    },
  );

  it("differ from one start to the next", () => {
    const api = present(config.secrets[0], "the first configured secret");
    expect(simulatedSecretValue(api)).not.toBe(simulatedSecretValue(api));
  });
});
