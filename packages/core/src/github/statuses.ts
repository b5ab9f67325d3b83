import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
// @octokit/core with routes by name, not @octokit/rest: its endpoint-method table (~84 KB minified)
// would ride in every deploy-steps bundle for three routes.
import { Octokit } from "@octokit/core";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { deployAudit } from "../deployments/audit.ts";
import type { DeployInput, DeployStepPayload } from "../deployments/input.ts";
import type { BusEvent } from "../events/envelope.ts";
import { logger } from "../observability/logger.ts";
import { stateTable } from "../store/table.ts";

/**
 * GitHub write-back for deployments started by GitHub `release` or `deployment` events (issue
 * #12, ADR 0029): deployment statuses (in_progress, success, failure; inactive for the one a
 * success supersedes) with the environment and a log URL, and a commit status, through Octokit
 * with a token read from Secrets Manager. Every write is reported in the audit log; a failure
 * (GitHub down, a 500, a bad token) is retried once, then recorded, and never fails, blocks or
 * undoes the deploy step that reported it.
 *
 * - Create a deployment: https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
 * - Create a deployment status: https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status
 * - Create a commit status: https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
 */

/** `deployments[].github.statuses` as parsed (its schema is in deployments/config.ts). */
export type GithubStatusConfig = NonNullable<NonNullable<Deployment["github"]>["statuses"]>;

/** What the deploy input carries for the write-back: self-contained, from the config and the event. */
export interface GithubStatusInput {
  readonly repository: string;
  readonly environment: string;
  /** The deployment event's GitHub deployment; absent for a release (one is created). */
  readonly deploymentId?: number;
  readonly sha?: string;
  /** What a deployment is created for (a release's tag). */
  readonly ref: string;
  readonly tokenSecret: string;
  readonly apiUrl: string;
  readonly logUrl?: string;
}

/** The write-back input for a deploy started by a GitHub event of a deployment that asks for it. */
export function githubStatusInput(
  statuses: GithubStatusConfig | undefined,
  event: BusEvent,
): GithubStatusInput | undefined {
  if (!statuses || event.source !== "github.com") return undefined;
  const detail = (event.detail ?? {}) as {
    repository?: { full_name?: string };
    deployment?: { id?: number; sha?: string; ref?: string; environment?: string };
    release?: { tag_name?: string };
  };
  const repository = detail.repository?.full_name;
  if (!repository) return undefined;
  const common = {
    repository,
    tokenSecret: statuses.tokenSecret,
    apiUrl: statuses.apiUrl,
    ...(statuses.logUrl ? { logUrl: statuses.logUrl } : {}),
  };
  if (event["detail-type"] === "deployment" && typeof detail.deployment?.id === "number")
    return {
      ...common,
      environment: detail.deployment.environment ?? statuses.environment,
      deploymentId: detail.deployment.id,
      ...(detail.deployment.sha ? { sha: detail.deployment.sha } : {}),
      ref: detail.deployment.ref ?? detail.deployment.sha ?? "",
    };
  if (event["detail-type"] === "release" && detail.release?.tag_name)
    return { ...common, environment: statuses.environment, ref: detail.release.tag_name };
  return undefined;
}

/** What a reported deploy step means on GitHub. */
const STATES: Partial<
  Record<
    string,
    { deployment: "in_progress" | "success" | "failure"; commit: "pending" | "success" | "failure" }
  >
> = {
  started: { deployment: "in_progress", commit: "pending" },
  succeeded: { deployment: "success", commit: "success" },
  "rolled-back": { deployment: "failure", commit: "failure" },
  abandoned: { deployment: "failure", commit: "failure" },
};

const key = (deployment: string, sort: string) => ({
  [stateTable.partitionKey]: `deployment#${deployment}`,
  [stateTable.sortKey]: sort,
});

/** One GitHub write, tried twice (GitHub answers 5xx now and then); the error of the last try is thrown. */
async function twice<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== undefined && status < 500) throw error;
    return write();
  }
}

/**
 * Writes the deploy step's outcome back to GitHub, when the deploy input asks for it. Never
 * throws: a GitHub failure is audited ("github-failed") and the deployment goes on.
 */
export async function githubWriteBack(
  deps: CoreDeps,
  input: DeployInput,
  payload: DeployStepPayload,
  kind: string,
): Promise<void> {
  const github = input.github as GithubStatusInput | undefined;
  const state = STATES[kind];
  if (!github || !state) return;
  const execution = payload.execution.split(":").at(-1) ?? payload.execution;
  const audit = (decision: string, reason: string) => deployAudit(deps, input, payload, decision, reason);
  try {
    const token = await deps.clients.secrets.send(
      new GetSecretValueCommand({ SecretId: github.tokenSecret }),
    );
    if (!token.SecretString)
      throw new Error(
        `secret ${github.tokenSecret} has no SecretString: store the GitHub token as plain text`,
      );
    const octokit = new Octokit({
      auth: token.SecretString,
      baseUrl: github.apiUrl,
      request: { retries: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const [owner = "", repo = ""] = github.repository.split("/");
    const target = await githubDeployment(deps, octokit, input.deployment, execution, github, owner, repo);
    const log_url = github.logUrl?.replaceAll("{execution}", execution);
    const description = `Switchyard ${input.deployment}: ${kind} (${execution})`.slice(0, 140);
    await twice(() =>
      octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
        owner,
        repo,
        deployment_id: target.id,
        state: state.deployment,
        environment: github.environment,
        description,
        ...(log_url ? { log_url } : {}),
      }),
    );
    if (target.sha)
      await twice(() =>
        octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
          owner,
          repo,
          sha: String(target.sha),
          state: state.commit,
          context: `switchyard/${input.deployment}`,
          description,
          ...(log_url ? { target_url: log_url } : {}),
        }),
      );
    let superseded = "";
    if (state.deployment === "success")
      superseded = await supersede(deps, octokit, input.deployment, github, target.id, owner, repo);
    await audit(
      "github-reported",
      `${github.repository} deployment ${target.id} (${github.environment}) ${state.deployment}${target.sha ? `, commit ${target.sha.slice(0, 7)} ${state.commit}` : ""}${superseded}`,
    );
  } catch (error) {
    const e = error as { name?: string; status?: number; message?: string };
    logger.warn("GitHub write-back failed", { kind, error: e.name, status: e.status });
    await audit(
      "github-failed",
      `${github.repository}: ${kind} not written back (${e.status ? `HTTP ${e.status}` : (e.name ?? "error")}); the deployment is not affected`,
    ).catch(() => undefined);
  }
}

/**
 * The GitHub deployment this execution reports on: the deployment event's own, or the one
 * created for a release. Created at most once per execution: its id is stored before any
 * status is written (a conditional PutItem), and a retry or redrive reads it back.
 */
async function githubDeployment(
  deps: CoreDeps,
  octokit: Octokit,
  deployment: string,
  execution: string,
  github: GithubStatusInput,
  owner: string,
  repo: string,
): Promise<{ id: number; sha?: string }> {
  if (github.deploymentId !== undefined)
    return { id: github.deploymentId, ...(github.sha ? { sha: github.sha } : {}) };
  const stored = await deps.store.db.send(
    new GetCommand({
      TableName: deps.store.table,
      Key: key(deployment, `github#${execution}`),
      ConsistentRead: true,
    }),
  );
  if (stored.Item)
    return { id: Number(stored.Item.id), ...(stored.Item.sha ? { sha: String(stored.Item.sha) } : {}) };
  const created = await octokit.request("POST /repos/{owner}/{repo}/deployments", {
    owner,
    repo,
    ref: github.ref,
    environment: github.environment,
    auto_merge: false,
    required_contexts: [],
    description: `Switchyard ${deployment} (${execution})`.slice(0, 140),
    payload: { execution },
  });
  const data = created.data as { id?: number; sha?: string };
  if (typeof data.id !== "number")
    throw new Error(`GitHub did not create a deployment (HTTP ${created.status})`);
  await deps.store.db.send(
    new PutCommand({
      TableName: deps.store.table,
      Item: {
        ...key(deployment, `github#${execution}`),
        id: data.id,
        ...(data.sha ? { sha: data.sha } : {}),
      },
      ConditionExpression: "attribute_not_exists(id)",
    }),
  );
  return { id: data.id, ...(data.sha ? { sha: data.sha } : {}) };
}

/** Marks the GitHub deployment the previous success wrote as inactive, and remembers this one. */
async function supersede(
  deps: CoreDeps,
  octokit: Octokit,
  deployment: string,
  github: GithubStatusInput,
  id: number,
  owner: string,
  repo: string,
): Promise<string> {
  const live = await deps.store.db.send(
    new GetCommand({
      TableName: deps.store.table,
      Key: key(deployment, "github-live"),
      ConsistentRead: true,
    }),
  );
  const previous = live.Item as { id?: number; repository?: string; environment?: string } | undefined;
  let said = "";
  if (previous?.id !== undefined && previous.id !== id && previous.repository === github.repository) {
    await twice(() =>
      octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
        owner,
        repo,
        deployment_id: Number(previous.id),
        state: "inactive",
        environment: previous.environment ?? github.environment,
        description: `Switchyard ${deployment}: superseded by deployment ${id}`.slice(0, 140),
      }),
    );
    said = `; deployment ${previous.id} inactive`;
  }
  await deps.store.db.send(
    new PutCommand({
      TableName: deps.store.table,
      Item: {
        ...key(deployment, "github-live"),
        id,
        repository: github.repository,
        environment: github.environment,
      },
    }),
  );
  return said;
}
