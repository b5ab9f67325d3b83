import { afterEach, beforeEach, describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { githubWorker } from "./support/deploy.ts";
import { startGithubApi } from "./support/github-api.ts";
import { it } from "./support/plane.ts";
import { busEvent } from "./support/scenario.ts";

// GitHub write-back (issue #12): deployments started by GitHub `deployment` or `release` events
// get deployment statuses and a commit status, through Octokit with a token from Secrets Manager,
// against a local server that speaks GitHub's deployments API.

// Invented: a token for the local GitHub API server (no public sample of a token exists).
const TOKEN = "ghp_localTestToken0000000000000000000000";
const SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

let github: Awaited<ReturnType<typeof startGithubApi>>;
afterEach(async () => github?.close());

const withStatuses = (apiUrl: () => string) =>
  githubWorker({
    statuses: {
      tokenSecret: "switchyard/github-token",
      apiUrl: apiUrl(),
      logUrl: "https://console.aws.amazon.com/states/home#/executions/{execution}",
    },
  });

/** A plane on `config` whose token secret holds TOKEN and whose registry holds the image of each tag. */
async function planeWith(
  startPlane: (config: Config) => Promise<ControlPlane>,
  config: Config,
  ...tags: string[]
): Promise<ControlPlane> {
  const plane = await startPlane(config);
  plane.account.secrets.seedSecret("switchyard/github-token", TOKEN);
  for (const tag of tags) plane.account.ecr.pushImage("queue-worker", tag, tag);
  await plane.settle();
  return plane;
}

describe("GitHub write-back", () => {
  let config: Config;
  beforeEach(async () => {
    github = await startGithubApi({ token: TOKEN, alerts: [] });
    config = withStatuses(() => github.url);
  });

  it("reports a GitHub deployment in_progress then success, with its environment, log URL and a commit status", async ({
    startPlane,
  }) => {
    const plane = await planeWith(startPlane, config, SHA);

    await plane.deliver(busEvent("github/deployment-created.json"));
    await plane.runOut();

    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
    const deploymentStates = github.statuses
      .filter((s) => s.kind === "deployment-status")
      .map((s) => [s.target, s.body.state, s.body.environment]);
    expect(deploymentStates).toEqual([
      ["145988746", "in_progress", "production"],
      ["145988746", "success", "production"],
    ]);
    const success = github.statuses.find((s) => s.body.state === "success" && s.kind === "deployment-status");
    expect(String(success?.body.log_url)).toMatch(
      /^https:\/\/console\.aws\.amazon\.com\/states\/home#\/executions\/worker-/,
    );
    expect(
      github.statuses
        .filter((s) => s.kind === "commit-status")
        .map((s) => [s.target, s.body.state, s.body.context]),
    ).toEqual([
      [SHA, "pending", "switchyard/worker"],
      [SHA, "success", "switchyard/worker"],
    ]);
  });

  it("creates a GitHub deployment for a release and marks the one it superseded inactive", async ({
    startPlane,
  }) => {
    const plane = await planeWith(startPlane, config, "0.0.1", "0.0.2");

    await plane.deliver(busEvent("github/release-published.json"));
    await plane.runOut();
    await plane.deliver(
      busEvent<{ release: { id: number; tag_name: string; published_at: string } }>(
        "github/release-published.json",
        (e) => {
          e.id = "release-0-0-2";
          e.detail.release.id += 1;
          e.detail.release.tag_name = "0.0.2";
          e.detail.release.published_at = "2019-05-15T15:30:00Z";
        },
      ),
    );
    await plane.runOut();

    const created = github.statuses.filter((s) => s.kind === "deployment");
    expect(created.map((s) => [s.body.ref, s.body.environment])).toEqual([
      ["0.0.1", "production"],
      ["0.0.2", "production"],
    ]);
    const [first, second] = created.map((s) => s.target);
    expect(
      github.statuses.filter((s) => s.kind === "deployment-status").map((s) => [s.target, s.body.state]),
    ).toEqual([
      [first, "in_progress"],
      [first, "success"],
      [second, "in_progress"],
      [second, "success"],
      [first, "inactive"],
    ]);
  });

  it("reports failure when the deployment rolls back on an alarm", async ({ startPlane }) => {
    const plane = await planeWith(startPlane, config, SHA);
    plane.account.cloudwatch.observeState("WorkerErrors", "ALARM");

    await plane.deliver(busEvent("github/deployment-created.json"));
    await plane.runOut();

    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "1", weights: {} });
    expect(github.statuses.filter((s) => s.kind === "deployment-status").map((s) => s.body.state)).toEqual([
      "in_progress",
      "failure",
    ]);
  });
});

/** A GitHub deployment event delivered and run out while the GitHub API answers as `api` says. */
async function deliveredWhile(
  startPlane: (config: Config) => Promise<ControlPlane>,
  api: Parameters<typeof startGithubApi>[0],
): Promise<ControlPlane> {
  github = await startGithubApi(api);
  const plane = await planeWith(
    startPlane,
    withStatuses(() => github.url),
    SHA,
  );
  await plane.deliver(busEvent("github/deployment-created.json"));
  await plane.runOut();
  return plane;
}

describe("GitHub write-back failures never block the AWS side", () => {
  it("deploys to 100% while GitHub answers 500, retries once, and audits what was not written", async ({
    startPlane,
  }) => {
    const plane = await deliveredWhile(startPlane, { token: TOKEN, alerts: [], failWrites: 100 });

    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
    const [execution] = plane.account.sfn.executions();
    expect(execution?.status).toBe("SUCCEEDED");
    const failed = (await listAudit(plane.store)).filter((a) => a.decision === "github-failed");
    expect(failed.map((a) => a.reason)).toEqual([
      "Codertocat/Hello-World: started not written back (HTTP 500); the deployment is not affected",
      "Codertocat/Hello-World: succeeded not written back (HTTP 500); the deployment is not affected",
    ]);
  });

  it("writes the status once GitHub recovers: one 500 is retried", async ({ startPlane }) => {
    const plane = await deliveredWhile(startPlane, { token: TOKEN, alerts: [], failWrites: 1 });

    expect(github.statuses.filter((s) => s.kind === "deployment-status").map((s) => s.body.state)).toEqual([
      "in_progress",
      "success",
    ]);
    expect((await listAudit(plane.store)).filter((a) => a.decision === "github-failed")).toEqual([]);
  });

  it("never writes the token into the audit log or a notification", async ({ startPlane }) => {
    const plane = await deliveredWhile(startPlane, { token: "another-token", alerts: [] });

    const audit = JSON.stringify(await listAudit(plane.store));
    expect(audit).toContain("HTTP 401");
    expect(audit).not.toContain(TOKEN);
    expect(JSON.stringify(plane.account.sns.published())).not.toContain(TOKEN);
    expect(plane.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
  });
});
