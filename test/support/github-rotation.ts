import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../../packages/cli/src/local/control-plane.ts";
import { signedFunctionUrlEvent, startFunctionUrl, startGithubApi } from "./github-api.ts";
import { example } from "./scenario.ts";
import { githubExample } from "./webhook.ts";

const ping = githubExample("ping");

export const SECRET_ID = LOCAL_NAMES.webhookSecret;
export const RECEIVER = `${LOCAL_NAMES.functionPrefix}github-webhook`;
export const ROTATE = `${LOCAL_NAMES.functionPrefix}rotate`;
/** The hook whose secret rotates ("owner/repo#id", as the local GitHub API keys it). */
export const HOOK = "Codertocat/Hello-World#4";
export const TOKEN_SECRET = "switchyard/github-token";

/**
 * The GitHub webhook secret rotation world: a local GitHub API that holds `hooks`, a function
 * URL in front of the receiver, and a local control plane on the example config whose one
 * secret is the webhook secret, rotated by `github-webhook-secret`. It registers its own
 * beforeAll/afterEach/afterAll hooks, so call it at the top of a test file; each test's
 * control plane is closed after the test.
 * - `githubToken`: the token GitHub accepts; `oldSecret`: the webhook secret before any rotation;
 * - `seedHook`: GitHub signs HOOK's deliveries with `oldSecret` when a plane starts (default true;
 *   false leaves the hook as earlier tests left it).
 */
export function githubRotation(world: {
  githubToken: string;
  oldSecret: string;
  hooks?: string[];
  seedHook?: boolean;
}) {
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  let receiverUrl: Awaited<ReturnType<typeof startFunctionUrl>>;
  let current: ControlPlane | undefined;

  beforeAll(async () => {
    github = await startGithubApi({ token: world.githubToken, alerts: [], hooks: world.hooks ?? [HOOK] });
    receiverUrl = await startFunctionUrl(async (event) => {
      if (!current) throw new Error("no control plane is running");
      return current.account.lambda.invoke(RECEIVER, event, { principal: "function-url" });
    });
  });
  const close = async () => {
    await current?.close();
    current = undefined;
  };
  afterEach(close);
  afterAll(async () => {
    await github.close();
    await receiverUrl.close();
  });

  /** The config's secret entry, `options` over the hook's (the GitHub API and receiver addresses included). */
  const entry = (options: Record<string, unknown> = {}) => ({
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
  });

  /** A ping delivery, signed with `secret`, through the receiver's function URL; its HTTP status. */
  const deliver = async (p: ControlPlane, secret: string, delivery: string): Promise<number> => {
    const request = await signedFunctionUrlEvent({
      event: "ping",
      payload: ping,
      delivery,
      secret,
      timeEpoch: p.account.clock.now(),
    });
    const out = await p.account.lambda.invoke(RECEIVER, request, { principal: "function-url" });
    return (out.result as { statusCode: number }).statusCode;
  };

  return {
    entry,
    deliver,
    /** Closes this test's control plane now (the afterEach hook would). */
    close,
    /**
     * A control plane (closing the one before): `options` over the hook's, `storedToken` the
     * GitHub token the token secret holds.
     */
    async plane(
      opts: { options?: Record<string, unknown>; storedToken?: string } = {},
    ): Promise<ControlPlane> {
      await close();
      if (world.seedHook ?? true)
        await fetch(`${github.url}/repos/Codertocat/Hello-World/hooks/4/config`, {
          method: "PATCH",
          headers: { authorization: `token ${world.githubToken}`, "content-type": "application/json" },
          body: JSON.stringify({ secret: world.oldSecret }),
        });
      current = await startControlPlane(
        example((raw) => ({ ...raw, secrets: [entry(opts.options)] })),
        {
          webhookSecret: world.oldSecret,
          secretValues: { [TOKEN_SECRET]: opts.storedToken ?? world.githubToken },
        },
      );
      return current;
    },
    /** The secret GitHub signs `hook`'s deliveries with. */
    hookSecret: (hook = HOOK) => github.hookSecret(hook),
    /** A genuine delivery: a ping signed with the secret GitHub holds for HOOK; its HTTP status. */
    genuineDelivery: (p: ControlPlane, delivery: string) =>
      deliver(p, github.hookSecret(HOOK) ?? "", delivery),
    /** The webhook secret's value at `stage`. */
    value: async (p: ControlPlane, stage: string) =>
      (await p.clients.secrets.send(new GetSecretValueCommand({ SecretId: SECRET_ID, VersionStage: stage })))
        .SecretString ?? "",
    /** The versions carrying `label`. */
    labelled: async (p: ControlPlane, label: string): Promise<string[]> => {
      const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET_ID }));
      return Object.entries(d.VersionIdsToStages ?? {})
        .filter(([, s]) => s.includes(label))
        .map(([id]) => id);
    },
    /** Stages AWSPENDING under `token` without running any step, so the test drives the steps. */
    async startRotationByHand(p: ControlPlane, token: string): Promise<void> {
      p.account.lambda.registerHandler("idle-rotation", async () => null);
      await p.clients.secrets.send(
        new RotateSecretCommand({
          SecretId: SECRET_ID,
          ClientRequestToken: token,
          RotationLambdaARN: p.account.lambda.functionArn("idle-rotation"),
        }),
      );
    },
    /** Invokes the rotation function for one step of `token`'s rotation. */
    step: (p: ControlPlane, Step: string, token: string) =>
      p.account.lambda.invoke(
        ROTATE,
        { Step, SecretId: SECRET_ID, ClientRequestToken: token },
        { principal: "test" },
      ),
  };
}
