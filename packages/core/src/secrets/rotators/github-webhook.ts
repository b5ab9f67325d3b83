import { GetRandomPasswordCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { Octokit } from "@octokit/rest";
import { sign } from "@octokit/webhooks-methods";
import { ErrorNames, SwitchyardError } from "../../errors.ts";
import type { Rotator, RotatorDeps } from "../rotator.ts";

type Options = {
  owner: string;
  repo: string;
  hookId: number;
  tokenSecret: string;
  apiUrl: string;
  receiverUrl: string;
  length: number;
};

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function github(deps: RotatorDeps, options: Options): Promise<Octokit> {
  const token = await deps.clients.secrets.send(new GetSecretValueCommand({ SecretId: options.tokenSecret }));
  if (!token.SecretString)
    throw new SwitchyardError(
      ErrorNames.InvalidSecret,
      `options.tokenSecret ${options.tokenSecret} has no SecretString: store the GitHub token as plain text`,
    );
  return new Octokit({
    auth: token.SecretString,
    baseUrl: options.apiUrl,
    request: { retries: 0 },
    log: quiet,
  });
}

const hook = (options: Options) => ({ owner: options.owner, repo: options.repo, hook_id: options.hookId });
const where = (options: Options) => `${options.owner}/${options.repo} hook ${options.hookId}`;

/** GitHub's REST errors carry `status`; anything else (a refused connection) is not a GitHub answer. */
function githubFailure(
  error: unknown,
  what: string,
  name: typeof ErrorNames.SetFailed | typeof ErrorNames.TestFailed,
) {
  const status = (error as { status?: unknown }).status;
  const detail = typeof status === "number" ? `GitHub answered ${status}` : (error as Error).message;
  return new SwitchyardError(name, `${what}: ${detail}`);
}

/**
 * A ping, as GitHub sends when a hook is created, signed with `secret`. Its delivery id derives
 * from the rotation's version, so a repeated testSecret is a duplicate to the receiver, not a
 * second event on the bus.
 */
async function signedPing(secret: string, options: Options, delivery: string) {
  const body = JSON.stringify({
    zen: "Switchyard is testing the pending webhook secret.",
    hook_id: options.hookId,
    repository: { full_name: `${options.owner}/${options.repo}` },
  });
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "Switchyard-rotation",
      "x-github-event": "ping",
      "x-github-delivery": delivery,
      "x-hub-signature-256": await sign(secret, body),
    },
    body,
  };
}

/**
 * The secret of a GitHub repository webhook, which the receiver (`github-webhook`) verifies
 * deliveries with. setSecret switches GitHub to the pending secret while the receiver accepts
 * both AWSCURRENT and AWSPENDING, so no delivery is refused mid-rotation; after finishSecret the
 * old one is refused. The GitHub token comes from `options.tokenSecret`; the value is never logged.
 */
export const githubWebhookRotator: Rotator<"github-webhook-secret"> = {
  name: "github-webhook-secret",
  permissions: ["secretsmanager:GetRandomPassword"],
  // GitHub answers a mask, never the secret: the receiver accepting a ping proves only our side.
  testProvesSet: false,
  validate(secret) {
    if (secret.length === 0)
      throw new SwitchyardError(ErrorNames.InvalidSecret, "the webhook secret is empty");
    if (secret.trim() !== secret)
      throw new SwitchyardError(
        ErrorNames.InvalidSecret,
        "the webhook secret has leading or trailing whitespace, which GitHub would keep: store it trimmed",
      );
  },
  async create(deps, _current, options: Options) {
    const out = await deps.clients.secrets.send(
      new GetRandomPasswordCommand({
        PasswordLength: options.length,
        ExcludePunctuation: true,
        IncludeSpace: false,
        RequireEachIncludedType: true,
      }),
    );
    return out.RandomPassword ?? "";
  },
  async set(deps, versions, options: Options) {
    const octokit = await github(deps, options);
    try {
      // Idempotent: setting the same secret again leaves the hook as it was.
      await octokit.rest.repos.updateWebhookConfigForRepo({ ...hook(options), secret: versions.pending });
    } catch (error) {
      throw githubFailure(error, `updating the secret of ${where(options)}`, ErrorNames.SetFailed);
    }
  },
  async test(deps, pending, options: Options) {
    const octokit = await github(deps, options);
    let config: { secret?: string | undefined };
    try {
      config = (await octokit.rest.repos.getWebhookConfigForRepo(hook(options))).data;
    } catch (error) {
      throw githubFailure(error, `reading the config of ${where(options)}`, ErrorNames.TestFailed);
    }
    // GitHub never returns the secret, only a mask when one is set.
    if (!config.secret)
      throw new SwitchyardError(
        ErrorNames.TestFailed,
        `${where(options)} reports no secret: setSecret did not apply`,
      );
    const digest = (await sign(pending, options.receiverUrl)).slice(-12);
    const response = await fetch(
      options.receiverUrl,
      await signedPing(pending, options, `switchyard-rotation-${digest}`),
    ).catch((error: Error) => {
      throw new SwitchyardError(
        ErrorNames.TestFailed,
        `the receiver at ${options.receiverUrl} is unreachable: ${error.message}`,
      );
    });
    if (response.status >= 300)
      throw new SwitchyardError(
        ErrorNames.TestFailed,
        `the receiver at ${options.receiverUrl} refused a ping signed with the pending secret (${response.status})`,
      );
  },
  async invalidate(_deps, leaked, current) {
    if (leaked === current)
      throw new SwitchyardError(
        ErrorNames.StillValid,
        "the current webhook secret is the leaked one: rotation did not happen",
      );
  },
};
