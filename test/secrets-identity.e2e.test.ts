import { describe, expect, it } from "vitest";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { rotationWorld } from "./support/rotation.ts";

/**
 * Issue #11, finding 12: a partial-ARN secret id (`…:secret:prod/api`) also matched the secret
 * `prod/api-key` by prefix, so rotating `prod/api-key` ran `prod/api`'s rotator on it and its
 * JSON was replaced by a bare token.
 */

const PARTIAL = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api";
// Invented values: a bare API token, and a JSON credential that must never become a bare token.
const API_TOKEN = "initial-api-token-000000000000000000000";
const API_KEY = JSON.stringify({ username: "api", password: "initial-password-0000000000" });
const TOKEN = "30000000-0000-4000-8000-000000000001";

function world() {
  const w = rotationWorld([{ name: "api", secretId: PARTIAL, rotator: "random" }]);
  w.account.secrets.seedSecret("prod/api", API_TOKEN);
  w.account.secrets.seedSecret("prod/api-key", API_KEY);
  return w;
}

describe("the secret a rotation acts on is the configured one, exactly (issue #11, finding 12)", () => {
  it("refuses to rotate prod/api-key for an entry whose partial ARN names prod/api, and leaves its JSON alone", async () => {
    const w = world();

    await w.rotate("prod/api-key", TOKEN).catch(() => undefined);

    expect(await w.value("prod/api-key")).toBe(API_KEY);
    expect(w.account.secrets.rotations.at(-1)?.error).toMatchObject({
      step: "createSecret",
      errorType: "NotManaged",
    });
  });

  it("rotates the secret the partial ARN names, resolved to its full ARN", async () => {
    const w = world();

    await w.rotate(PARTIAL, TOKEN);

    expect(w.account.secrets.rotations.at(-1)?.error).toBeUndefined();
    expect(await w.value("prod/api")).not.toBe(API_TOKEN);
    expect(await w.value("prod/api")).toHaveLength(40);
    expect(await w.value("prod/api-key")).toBe(API_KEY);
  });

  it("refuses at load a config with two entries that may name one secret", () => {
    expect(() =>
      parseConfig({
        secrets: [
          { name: "api", secretId: PARTIAL, rotator: "random" },
          { name: "api-again", secretId: "prod/api", rotator: "random" },
        ],
      }),
    ).toThrow(/secrets\[1\]\.secretId: may name the same secret as secrets\[0\]/);
  });

  it("accepts entries for prod/api and prod/api-key side by side", () => {
    const config = parseConfig({
      secrets: [
        { name: "api", secretId: PARTIAL, rotator: "random" },
        { name: "api-key", secretId: "prod/api-key", rotator: "random", options: { field: "password" } },
      ],
    });
    expect(config.secrets.map((s) => s.name)).toEqual(["api", "api-key"]);
  });
});
