import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalDynamo } from "@switchyard/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsCredentials, bareEnvironment } from "./support/aws.ts";
import { inRepo, root } from "./support/cli.ts";

// `--aws` against what a real account can answer, with no account: missing credentials, an
// expired SSO session, no network, access denied (a loopback server answering as DynamoDB
// does), and a working account (dynalite speaks DynamoDB's API). Each failure is one line
// naming the cause and the fix, exit 1, no stack trace.

const CONFIG = inRepo("switchyard.config.ts");
const noStack = /\n\s+at /;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI in a child process, asynchronously: servers in this process must keep answering. */
function switchyard(args: string[], env: Record<string, string>, cwd = root): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [inRepo("packages/cli/bin/switchyard.js"), ...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const keys = awsCredentials;

function expectOneLine(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).not.toMatch(noStack);
}

describe("switchyard --aws fails well", () => {
  it("names missing credentials and the ways to provide them", async () => {
    const run = await switchyard(
      ["history", "--aws", "--stage", "dev", "--config", CONFIG],
      bareEnvironment(),
    );

    expectOneLine(
      run,
      /^switchyard: no AWS credentials found: pass --profile NAME .*aws configure.*aws sso login/,
    );
  });

  it("names a profile that does not exist", async () => {
    const run = await switchyard(
      ["status", "--aws", "--stage", "dev", "--profile", "nope", "--config", CONFIG],
      bareEnvironment(),
    );

    expectOneLine(run, /^switchyard: AWS profile "nope" is not in ~\/\.aws\/config/);
  });

  it("says an expired SSO session needs `aws sso login --profile P`", async () => {
    const env = bareEnvironment();
    const aws = join(String(env.HOME), ".aws");
    mkdirSync(join(aws, "sso", "cache"), { recursive: true });
    writeFileSync(
      join(aws, "config"),
      [
        "[profile corp]",
        "sso_session = corp",
        "sso_account_id = 123456789012",
        "sso_role_name = Operator",
        "region = us-east-1",
        "[sso-session corp]",
        "sso_start_url = https://corp.awsapps.com/start",
        "sso_region = us-east-1",
        "",
      ].join("\n"),
    );
    // The token `aws sso login` cached, expired yesterday (the cache is named by the session's SHA-1).
    writeFileSync(
      join(aws, "sso", "cache", `${createHash("sha1").update("corp").digest("hex")}.json`),
      JSON.stringify({
        accessToken: "expired-token",
        expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
        region: "us-east-1",
        startUrl: "https://corp.awsapps.com/start",
      }),
    );

    const run = await switchyard(
      ["history", "--aws", "--stage", "dev", "--profile", "corp", "--config", CONFIG],
      env,
    );

    expectOneLine(
      run,
      /^switchyard: the AWS SSO session has expired or is invalid: run `aws sso login --profile corp`/,
    );
  });

  it("says AWS cannot be reached when the network refuses", async () => {
    const run = await switchyard(["history", "--aws", "--stage", "dev", "--config", CONFIG], {
      ...bareEnvironment(),
      ...keys,
      AWS_ENDPOINT_URL: "http://127.0.0.1:1",
      AWS_MAX_ATTEMPTS: "1",
    });

    expectOneLine(run, /^switchyard: cannot reach AWS \(ECONNREFUSED\): check the network/);
  });

  describe("access denied", () => {
    let endpoint: string;
    let close: () => void;
    beforeAll(async () => {
      // DynamoDB's JSON protocol error, as AWS words it for an identity without the permission.
      const server = createServer((_, response) => {
        response.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
        response.end(
          JSON.stringify({
            __type: "com.amazon.coral.service#AccessDeniedException",
            Message:
              "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: dynamodb:Query on resource: " +
              "arn:aws:dynamodb:us-east-1:123456789012:table/switchyard-dev-state because no identity-based policy allows the dynamodb:Query action",
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => server.close();
    });
    afterAll(() => close());

    it("names who may not do what, on which resource", async () => {
      const run = await switchyard(["history", "--aws", "--stage", "dev", "--config", CONFIG], {
        ...bareEnvironment(),
        ...keys,
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      });

      expectOneLine(
        run,
        /^switchyard: access denied: arn:aws:iam::123456789012:user\/dev may not dynamodb:Query on arn:aws:dynamodb:us-east-1:123456789012:table\/switchyard-dev-state; grant it/,
      );
    });
  });

  it("refuses a --region other than the config's, exit 2", async () => {
    const run = await switchyard(
      ["status", "--aws", "--stage", "dev", "--region", "eu-west-1", "--config", CONFIG],
      bareEnvironment(),
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^switchyard: --region eu-west-1 is not the config's region \(us-east-1\)/);
  });
});

describe("switchyard --aws finds the stack", () => {
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  beforeAll(async () => {
    dynamo = await startLocalDynamo("switchyard-dev-state");
  });
  afterAll(() => dynamo.close());

  const account = () => ({ ...bareEnvironment(), ...keys, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });

  it("by name from --stage: pause writes the kill switch and history reads it back", async () => {
    const paused = await switchyard(
      ["pause", "--aws", "--stage", "dev", "--reason", "incident 4711", "--by", "alice", "--config", CONFIG],
      account(),
    );
    const history = await switchyard(
      ["history", "--aws", "--stage", "dev", "--json", "--config", CONFIG],
      account(),
    );

    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(
      /^automation paused on AWS account 123456789012 \(region us-east-1, table switchyard-dev-state from stage dev\)/,
    );
    expect(history.code).toBe(0);
    expect(JSON.parse(history.stdout)).toContainEqual(
      expect.objectContaining({ reaction: "operator", decision: "paused", reason: "alice: incident 4711" }),
    );
  });

  it("from SST's .sst/outputs.json in the working directory, with no flag or variable", async () => {
    const app = mkdtempSync(join(tmpdir(), "switchyard-app-"));
    mkdirSync(join(app, ".sst"));
    writeFileSync(
      join(app, ".sst", "outputs.json"),
      JSON.stringify({
        stateTable: "switchyard-dev-state",
        stateMachines: {
          failover: "arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-dev-failover",
        },
      }),
    );

    const run = await switchyard(["history", "--aws", "--json", "--config", CONFIG], account(), app);

    expect(run.code).toBe(0);
    expect(Array.isArray(JSON.parse(run.stdout))).toBe(true);
  });

  it("says which table is missing when the stage was never deployed", async () => {
    const run = await switchyard(["history", "--aws", "--stage", "nope", "--config", CONFIG], account());

    expectOneLine(
      run,
      /^switchyard: the state table switchyard-nope-state \(from stage nope\) does not exist in this account and region: deploy the stack/,
    );
  });
});
