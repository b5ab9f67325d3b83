import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../packages/cli/src/commands/schema.ts";
import { checkAccount } from "../packages/cli/src/commands/validate.ts";
import { startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { loadConfig, parseConfig } from "../packages/core/src/config/index.ts";
import { isPreparedConfig, readPreparedConfig } from "../packages/core/src/config/prepared.ts";
import exampleConfig from "../switchyard.config.ts";
import { inRepo, switchyard, tempFile } from "./support/cli.ts";

// Config ergonomics: the shipped JSON Schema is the zod schema's, a JSON config may name it,
// and `switchyard validate --aws` finds what the config names that the account lacks.

const shipped = () => JSON.parse(readFileSync(inRepo("switchyard.schema.json"), "utf8")) as object;

describe("switchyard.schema.json", () => {
  it("is the JSON Schema generated from the config's zod schema (regenerate: switchyard schema > switchyard.schema.json)", () => {
    expect(shipped()).toEqual(configJsonSchema());
  });

  it("accepts the example config and rejects a misspelt field, as config validation does", () => {
    // ajv comes with asl-validator; it reads JSON Schema 2020-12, the draft zod writes.
    const validate = new Ajv2020({ strict: false, logger: false }).compile(shipped());

    expect(validate(JSON.parse(JSON.stringify(exampleConfig)))).toBe(true);
    expect(
      validate({ deployments: [{ name: "api", function: "api-handler", alias: "live", stratgy: "x" }] }),
    ).toBe(false);
  });

  it("lets a JSON config name the schema with $schema", () => {
    const file = tempFile("config.json", { $schema: "./switchyard.schema.json", ...exampleConfig });

    const { code, stdout } = switchyard("validate", "--config", file);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^✓ .*config\.json is valid: 2 deployment\(s\)/);
  });
});

describe("validate --aws: what the config names exists in the account", () => {
  it("reports each function, alias, alarm, repository and secret, and which are missing", async () => {
    const config = parseConfig({
      ...exampleConfig,
      secrets: [{ name: "api-key", secretId: "prod/api/key", rotator: "random" }],
    });
    const plane = await startControlPlane(parseConfig(exampleConfig));
    // ECR makes a repository on its first push here; the worker's repository has none.
    plane.account.ecr.pushImage("my-repository-name", "latest", "v1");
    try {
      const checks = await checkAccount(config, plane.clients);

      expect(checks).toContainEqual({
        kind: "alias",
        name: "api-handler:live",
        by: "deployments[0] (api)",
        exists: true,
      });
      expect(checks).toContainEqual(
        expect.objectContaining({ kind: "alarm", name: "ServerCpuTooHigh", exists: true }),
      );
      expect(checks).toContainEqual(
        expect.objectContaining({ kind: "repository", name: "my-repository-name", exists: true }),
      );
      // The account was seeded from a config without the secret, and nothing was pushed for the worker.
      expect(checks.filter((c) => !c.exists)).toEqual([
        { kind: "repository", name: "queue-worker", by: "deployments[1] (worker)", exists: false },
        { kind: "secret", name: "prod/api/key", by: "secrets[0] (api-key)", exists: false },
      ]);
    } finally {
      await plane.close();
    }
  });
});

describe("switchyard validate --prepare", () => {
  it("writes a valid config as the functions read it, the file a function run by hand is given", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "switchyard-prepare-")), "switchyard.config.json");
    const path = "examples/podinfo/switchyard.config.ts";

    const { code, stdout } = switchyard("validate", "--config", path, "--prepare", out);

    expect(code).toBe(0);
    expect(stdout).toContain(`wrote ${out}: the config as the functions read it`);
    const raw: unknown = JSON.parse(readFileSync(out, "utf8"));
    expect(isPreparedConfig(raw) && readPreparedConfig(raw, out)).toStrictEqual(
      await loadConfig(inRepo(path)),
    );
  });

  it("writes nothing for an invalid config, and lists its issues", () => {
    const out = join(mkdtempSync(join(tmpdir(), "switchyard-prepare-")), "switchyard.config.json");

    const { code, stdout } = switchyard(
      "validate",
      "--config",
      inRepo("test/fixtures/config/invalid.json"),
      "--prepare",
      out,
    );

    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ invalid config/);
    expect(existsSync(out)).toBe(false);
  });
});
