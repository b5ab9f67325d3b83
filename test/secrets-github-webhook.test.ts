import { createRequire } from "node:module";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { startFunctionUrl, startGithubApi } from "./support/github-api.ts";
import { example } from "./support/scenario.ts";

const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
const ping = webhooks.find((w) => w.name === "ping")?.examples[0];
const SECRET_ID = LOCAL_NAMES.webhookSecret;
const RECEIVER = `${LOCAL_NAMES.functionPrefix}github-webhook`;
const ROTATE = `${LOCAL_NAMES.functionPrefix}rotate`;
const HOOK = "Codertocat/Hello-World#4";
/** A hook nobody ever gave a secret. */
const UNSET_HOOK = "Codertocat/Hello-World#5";
const TOKEN = "11111111-2222-4333-8444-555555555555";
const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
// Invented: the GitHub token and the webhook's initial secret (no public sample of either exists).
const GITHUB_TOKEN = "ghp_webhookRotationTestToken0000000000";
const OLD_SECRET = "initial-webhook-secret-0000000000000000";
const TOKEN_SECRET = "switchyard/github-token";

let github: Awaited<ReturnType<typeof startGithubApi>>;
let receiverUrl: Awaited<ReturnType<typeof startFunctionUrl>>;
let current: ControlPlane | undefined;

beforeAll(async () => {
  github = await startGithubApi({ token: GITHUB_TOKEN, alerts: [], hooks: [HOOK, UNSET_HOOK] });
  receiverUrl = await startFunctionUrl(async (event) => {
    if (!current) throw new Error("no control plane is running");
    return current.account.lambda.invoke(RECEIVER, event, { principal: "function-url" });
  });
});

afterAll(async () => {
  await github.close();
  await receiverUrl.close();
});

function secretEntry(options: Record<string, unknown> = {}) {
  return {
    name: "github-webhook",
    secretId: SECRET_ID,
    rotator: "github-webhook-secret",
    options: {
      owner: "Codertocat",
      repo: "Hello-World",
      hookId: 4,
      tokenSecret: TOKEN_SECRET,
      apiUrl: github.url,
      receiverUrl: receiverUrl.url,
      ...options,
    },
  };
}

async function plane(options: Record<string, unknown> = {}): Promise<ControlPlane> {
  await current?.close();
  current = await startControlPlane(
    example((raw) => ({ ...raw, secrets: [secretEntry(options)] })),
    { webhookSecret: OLD_SECRET, secretValues: { [TOKEN_SECRET]: GITHUB_TOKEN } },
  );
  return current;
}

afterAll(async () => current?.close());

/** A ping delivery, signed with `secret`, through the receiver's function URL; its HTTP status. */
async function deliver(p: ControlPlane, secret: string, delivery: string): Promise<number> {
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
        "x-hub-signature-256": await sign(secret, body),
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

const step = (p: ControlPlane, Step: string) =>
  p.account.lambda.invoke(
    ROTATE,
    { Step, SecretId: SECRET_ID, ClientRequestToken: TOKEN },
    { principal: "test" },
  );

/** Stages AWSPENDING under TOKEN without running any step, so the test drives the steps. */
async function startRotationByHand(p: ControlPlane) {
  p.account.lambda.registerHandler("idle-rotation", async () => null);
  await p.clients.secrets.send(
    new RotateSecretCommand({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      RotationLambdaARN: p.account.lambda.functionArn("idle-rotation"),
    }),
  );
}

async function secretValue(p: ControlPlane, stage: string): Promise<string> {
  const out = await p.clients.secrets.send(
    new GetSecretValueCommand({ SecretId: SECRET_ID, VersionStage: stage }),
  );
  return out.SecretString ?? "";
}

async function labelled(p: ControlPlane, label: string): Promise<string[]> {
  const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET_ID }));
  return Object.entries(d.VersionIdsToStages ?? {})
    .filter(([, s]) => s.includes(label))
    .map(([id]) => id);
}

describe("github-webhook-secret rotator", () => {
  it("accepts deliveries signed with the old and the new secret during the rotation window, and only the new one after finishSecret", async () => {
    const p = await plane();
    await startRotationByHand(p);
    expect((await step(p, "createSecret")).error).toBeUndefined();
    expect((await step(p, "setSecret")).error).toBeUndefined();
    const pending = await secretValue(p, "AWSPENDING");

    const windowNew = await deliver(p, pending, "d0000000-0000-4000-8000-000000000001");
    const windowOld = await deliver(p, OLD_SECRET, "d0000000-0000-4000-8000-000000000002");
    expect((await step(p, "testSecret")).error).toBeUndefined();
    expect((await step(p, "finishSecret")).error).toBeUndefined();
    // The receiver caches the secrets for 60 seconds; past that it reads the finished rotation.
    p.account.clock.tick(61_000);
    const afterOld = await deliver(p, OLD_SECRET, "d0000000-0000-4000-8000-000000000003");
    const afterNew = await deliver(p, pending, "d0000000-0000-4000-8000-000000000004");

    expect({ windowNew, windowOld, afterOld, afterNew }).toEqual({
      windowNew: 202,
      windowOld: 202,
      afterOld: 401,
      afterNew: 202,
    });
    expect(github.hookSecret(HOOK)).toBe(pending);
    expect(await secretValue(p, "AWSCURRENT")).toBe(pending);
    expect(pending).not.toBe(OLD_SECRET);
  });

  it("lets every step run twice in a row with the same end state", async () => {
    const p = await plane();
    await startRotationByHand(p);
    const outcomes: unknown[] = [];
    for (const Step of STEPS)
      for (let i = 0; i < 2; i++) {
        const out = await step(p, Step);
        outcomes.push(out.error ?? (out.result as { outcome: string }).outcome);
      }
    expect(outcomes).toEqual(["done", "already", "done", "done", "done", "done", "done", "current"]);
    expect(github.hookSecret(HOOK)).toBe(await secretValue(p, "AWSCURRENT"));
  });

  const failures: Record<
    (typeof STEPS)[number],
    { action: string; when: (input: Record<string, unknown>) => boolean }
  > = {
    createSecret: { action: "GetRandomPassword", when: () => true },
    // setSecret reads the GitHub token first, testSecret second.
    setSecret: { action: "GetSecretValue", when: (input) => input.SecretId === TOKEN_SECRET },
    testSecret: { action: "GetSecretValue", when: (input) => input.SecretId === TOKEN_SECRET },
    finishSecret: { action: "UpdateSecretVersionStage", when: () => true },
  };
  for (const failing of STEPS) {
    it(`leaves consistent stages when ${failing} fails, and a retry completes the rotation`, async () => {
      const p = await plane();
      let tokenReads = 0;
      const { action, when } = failures[failing];
      p.account.injectFault({
        service: "secretsmanager",
        action,
        error: "InternalServiceError",
        times: 1,
        when: (input) => {
          if (!when(input)) return false;
          if (action !== "GetSecretValue") return true;
          return tokenReads++ === (failing === "setSecret" ? 0 : 1);
        },
      });
      const rotate = () =>
        p.clients.secrets.send(new RotateSecretCommand({ SecretId: SECRET_ID, ClientRequestToken: TOKEN }));

      await rotate();
      const failed = p.account.secrets.rotations.at(-1)?.error?.step;
      const currentAfterFailure = await secretValue(p, "AWSCURRENT");
      const pendingAfterFailure = await labelled(p, "AWSPENDING");
      await rotate();

      expect(failed).toBe(failing);
      expect(currentAfterFailure).toBe(OLD_SECRET);
      expect(pendingAfterFailure).toEqual([TOKEN]);
      expect(await labelled(p, "AWSCURRENT")).toEqual([TOKEN]);
      expect(await labelled(p, "AWSPENDING")).toEqual([TOKEN]);
      expect(await labelled(p, "AWSPREVIOUS")).toHaveLength(1);
      const now = await secretValue(p, "AWSCURRENT");
      expect(now).not.toBe(OLD_SECRET);
      expect(github.hookSecret(HOOK)).toBe(now);
      p.account.clock.tick(61_000);
      expect(await deliver(p, now, `e000000${STEPS.indexOf(failing)}-0000-4000-8000-000000000001`)).toBe(202);
    });
  }

  it("fails testSecret with TestFailed when the hook reports no secret, and changes nothing", async () => {
    const p = await plane({ hookId: 5 });
    await startRotationByHand(p);
    await step(p, "createSecret");
    const out = await step(p, "testSecret");
    expect(out.error).toMatchObject({
      errorType: "TestFailed",
      errorMessage: expect.stringContaining("reports no secret"),
    });
    expect(github.hookSecret(UNSET_HOOK)).toBeUndefined();
    expect(await secretValue(p, "AWSCURRENT")).toBe(OLD_SECRET);
  });

  it("rejects an options block without the hook id, naming the field", () => {
    const { hookId: _omitted, ...options } = secretEntry().options;
    expect(() =>
      parseConfig(example((raw) => ({ ...raw, secrets: [{ ...secretEntry(), options }] }))),
    ).toThrow(/hookId/);
  });
});
