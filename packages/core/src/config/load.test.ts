import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./load.ts";
import { ConfigError } from "./parse.ts";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../../test/fixtures/config/${name}`, import.meta.url));

async function rejectionOf(path: string): Promise<ConfigError> {
  const error = await loadConfig(path).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe("loadConfig", () => {
  it("loads a .json config of the documented shape", async () => {
    const config = await loadConfig(fixture("issue-example.json"));

    expect(config.deployments.map((deployment) => [deployment.name, deployment.strategyName])).toEqual([
      ["api", "Canary10Percent5Minutes"],
    ]);
  });

  it("reports a JSON syntax error with the file, line and column", async () => {
    const path = fixture("syntax-error.json");

    const error = await rejectionOf(path);

    expect(error.message).toContain(`invalid config ${path}:`);
    expect(error.issues).toEqual([expect.stringMatching(/^not valid JSON: .*line 3 column 5/)]);
  });

  it("reports a missing file by the path it was given", async () => {
    const error = await rejectionOf("does-not-exist/switchyard.config.json");

    expect(error.message).toContain("invalid config does-not-exist/switchyard.config.json:");
    expect(error.issues).toEqual([
      expect.stringMatching(/^file not found \(looked for .*\); check the --config path$/),
    ]);
  });

  it("reports every schema issue of a file, naming the file", async () => {
    const path = fixture("invalid.json");

    const error = await rejectionOf(path);

    expect(error.message).toContain(`invalid config ${path}:`);
    expect(error.issues).toEqual([
      expect.stringMatching(
        /^deployments\[0\]\.strategy: missing; add "strategy"; use a preset \(AllAtOnce, /,
      ),
      'deployments[0].stratgy: unknown field "stratgy"; did you mean "strategy"?',
      'notifications.topicArn: must be an SNS topic ARN, e.g. "arn:aws:sns:us-east-1:123456789012:switchyard-notifications"',
    ]);
  });

  it("reports a module without a default export", async () => {
    const error = await rejectionOf(fixture("no-default-export.ts"));

    expect(error.issues).toEqual([
      "has no default export; end the file with `export default defineConfig({ ... })`",
    ]);
  });

  it("refuses a file type it cannot read", async () => {
    const error = await rejectionOf("switchyard.config.yaml");

    expect(error.issues).toEqual(['unsupported file type ".yaml"; use a .json, .ts, .mts, .js, .mjs file']);
  });

  it("loads the example switchyard.config.ts at the repository root", async () => {
    const config = await loadConfig(`${repoRoot}switchyard.config.ts`);

    expect(
      config.deployments.map(({ name, function: fn, alias, strategyName, alarms }) => ({
        name,
        fn,
        alias,
        strategyName,
        alarms,
      })),
    ).toEqual([
      {
        name: "api",
        fn: "api-handler",
        alias: "live",
        strategyName: "Canary10Percent5Minutes",
        alarms: ["ServerCpuTooHigh"],
      },
      {
        name: "worker",
        fn: "queue-worker",
        alias: "live",
        strategyName: "Custom(10,25,50,75,100)",
        alarms: ["WorkerErrors", "WorkerDLQDepth"],
      },
    ]);
  });

  it("loads the example switchyard.config.ts in plain Node 22 through type stripping", async () => {
    const script = [
      `import { loadConfig } from ${JSON.stringify(`${repoRoot}packages/core/src/config/load.ts`)};`,
      `const config = await loadConfig("switchyard.config.ts");`,
      "console.log(JSON.stringify(config.deployments.map((d) => d.steps.length)));",
    ].join("\n");

    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: repoRoot,
    });

    expect(JSON.parse(stdout)).toEqual([2, 5]);
  });
});
