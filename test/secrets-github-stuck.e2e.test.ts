import { createRequire } from "node:module";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { pgClient } from "../packages/core/src/secrets/sql.ts";
import { recoverStuck } from "../packages/core/src/secrets/stuck.ts";
import { startFunctionUrl, startGithubApi } from "./support/github-api.ts";
import { example } from "./support/scenario.ts";

/**
 * Issue #11, finding 11: a GitHub webhook rotation stuck before setSecret reached GitHub was
 * "recovered" by promoting the pending secret (its test passes: the receiver accepts the
 * pending secret, and GitHub only ever answers a mask), so GitHub kept signing with the old
 * secret and every genuine delivery got 401.
 */

const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
const ping = webhooks.find((w) => w.name === "ping")?.examples[0];
const SECRET_ID = LOCAL_NAMES.webhookSecret;
const RECEIVER = `${LOCAL_NAMES.functionPrefix}github-webhook`;
const ROTATE = `${LOCAL_NAMES.functionPrefix}rotate`;
const HOOK = "Codertocat/Hello-World#4";
const TOKEN = "21111111-2222-4333-8444-555555555555";
// Invented: the GitHub token and the webhook's initial secret (no public sample of either exists).
const GITHUB_TOKEN = "ghp_webhookStuckRecoveryToken000000000";
const OLD_SECRET = "initial-webhook-secret-1111111111111111";
const TOKEN_SECRET = "switchyard/github-token";

let github: Awaited<ReturnType<typeof startGithubApi>>;
let receiverUrl: Awaited<ReturnType<typeof startFunctionUrl>>;
let current: ControlPlane | undefined;

beforeAll(async () => {
  github = await startGithubApi({ token: GITHUB_TOKEN, alerts: [], hooks: [HOOK] });
  receiverUrl = await startFunctionUrl(async (event) => {
    if (!current) throw new Error("no control plane is running");
    return current.account.lambda.invoke(RECEIVER, event, { principal: "function-url" });
  });
});
afterEach(async () => {
  await current?.close();
  current = undefined;
});
afterAll(async () => {
  await github.close();
  await receiverUrl.close();
});

const entry = {
  name: "github-webhook",
  secretId: SECRET_ID,
  rotator: "github-webhook-secret",
  options: { owner: "Codertocat", repo: "Hello-World", hookId: 4, tokenSecret: TOKEN_SECRET },
};

/** GitHub signs the hook's deliveries with OLD_SECRET; a rotation staged AWSPENDING got no further than createSecret. */
async function stuckBeforeSetSecret(storedToken = GITHUB_TOKEN): Promise<ControlPlane> {
  await fetch(`${github.url}/repos/Codertocat/Hello-World/hooks/4/config`, {
    method: "PATCH",
    headers: { authorization: `token ${GITHUB_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ secret: OLD_SECRET }),
  });
  const options = { ...entry.options, apiUrl: github.url, receiverUrl: receiverUrl.url };
  current = await startControlPlane(
    example((raw) => ({ ...raw, secrets: [{ ...entry, options }] })),
    { webhookSecret: OLD_SECRET, secretValues: { [TOKEN_SECRET]: storedToken } },
  );
  const p = current;
  p.account.lambda.registerHandler("idle-rotation", async () => null);
  await p.clients.secrets.send(
    new RotateSecretCommand({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      RotationLambdaARN: p.account.lambda.functionArn("idle-rotation"),
    }),
  );
  await p.account.lambda.invoke(
    ROTATE,
    { Step: "createSecret", SecretId: SECRET_ID, ClientRequestToken: TOKEN },
    { principal: "test" },
  );
  return p;
}

/** A genuine delivery: a ping signed with the secret GitHub holds for the hook; its HTTP status. */
async function genuineDelivery(p: ControlPlane, delivery: string): Promise<number> {
  const body = JSON.stringify(ping);
  const out = await p.account.lambda.invoke(
    RECEIVER,
    {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/",
      rawQueryString: "",
      headers: {
        "content-type": "application/json",
        "x-github-event": "ping",
        "x-github-delivery": delivery,
        "x-hub-signature-256": await sign(github.hookSecret(HOOK) ?? "", body),
      },
      requestContext: {
        http: {
          method: "POST",
          path: "/",
          protocol: "HTTP/1.1",
          sourceIp: "192.30.252.1",
          userAgent: "GitHub-Hookshot/1",
        },
        timeEpoch: p.account.clock.now(),
      },
      body: Buffer.from(body).toString("base64"),
      isBase64Encoded: true,
    },
    { principal: "function-url" },
  );
  return (out.result as { statusCode: number }).statusCode;
}

const value = async (p: ControlPlane, stage: string) =>
  (await p.clients.secrets.send(new GetSecretValueCommand({ SecretId: SECRET_ID, VersionStage: stage })))
    .SecretString ?? "";

describe("recovering a stuck GitHub webhook rotation (issue #11, finding 11)", () => {
  it("gives GitHub the pending secret before promoting it, so genuine deliveries are still accepted", async () => {
    const p = await stuckBeforeSetSecret();
    const pending = await value(p, "AWSPENDING");

    const recovery = await recoverStuck({ clients: p.clients, sql: pgClient }, p.config.secrets[0] as never);

    expect(recovery).toEqual({ outcome: "finished", version: TOKEN });
    expect(await value(p, "AWSCURRENT")).toBe(pending);
    expect(github.hookSecret(HOOK)).toBe(pending);
    expect(await genuineDelivery(p, "e0000000-0000-4000-8000-000000000001")).toBe(202);
  });

  it("clears the pending secret and rotates again when GitHub cannot be given it, and GitHub and the receiver still agree", async () => {
    // The stored GitHub token has been revoked: GitHub refuses the update (401).
    const p = await stuckBeforeSetSecret("ghp_revokedToken00000000000000000000000");

    const recovery = await recoverStuck({ clients: p.clients, sql: pgClient }, p.config.secrets[0] as never);

    expect(recovery).toMatchObject({
      outcome: "retried",
      cleared: TOKEN,
      reason: expect.stringMatching(
        /^setSecret could not be applied again: SetFailed: .*GitHub answered 401/,
      ),
    });
    expect(await value(p, "AWSCURRENT")).toBe(OLD_SECRET);
    const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET_ID }));
    expect(d.VersionIdsToStages?.[TOKEN] ?? []).not.toContain("AWSPENDING");
    expect(github.hookSecret(HOOK)).toBe(OLD_SECRET);
    expect(await genuineDelivery(p, "e0000000-0000-4000-8000-000000000002")).toBe(202);
  });
});
