import type { Config } from "@switchyard/core/config/index";
import {
  advance,
  alarm,
  aliasOn,
  auditSaid,
  type GithubPayload,
  github,
  githubWrote,
  noticeSaid,
  notified,
  outcomes,
  push,
  runOut,
  type Scenario,
} from "./vocabulary.ts";

const WORKER = "queue-worker:live";
/** The notices of the worker's rollout up to its last step (10→25→50→75, 1-minute bakes). */
const ROLLOUT = [
  "Switchyard: worker: deployment started",
  ...[10, 25, 50, 75].map((p) => `Switchyard: worker: ${p}% shifted, bake 60 s`),
];
/** The commit GitHub's API answers a created deployment with (the local server's fixed sha). */
const RELEASE_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
/** The commit of @octokit/webhooks-examples' deployment event: its image is tagged so. */
const DEPLOYMENT_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
/** Invented: the write-back token Secrets Manager holds (no public sample of a token exists). */
const TOKEN_SECRET = "switchyard/github-token";
const GITHUB_WORLD = { secretValues: { [TOKEN_SECRET]: "ghp_scenarioWritebackToken000000000000000" } };

/**
 * The showcase's worker, deployed by GitHub releases and deployments of Codertocat/Hello-World
 * (the repository of @octokit/webhooks-examples' payloads) with the write-back on: the image a
 * release's tag (or a deployment's sha) names in its ECR repository.
 */
const releasedByGithub = (config: Config): Config => ({
  ...config,
  deployments: config.deployments.map((d) =>
    d.name === "worker"
      ? {
          ...d,
          image: { repository: "queue-worker" },
          github: {
            repository: "Codertocat/Hello-World",
            on: ["release", "deployment"],
            statuses: {
              tokenSecret: TOKEN_SECRET,
              apiUrl: "https://api.github.com",
              environment: "production",
              logUrl: "https://console.aws.amazon.com/states/home#/executions/{execution}",
            },
          },
        }
      : d,
  ),
});

/** The release example published again a day later as 0.0.2 (a new release id). */
const nextRelease = ({ release }: GithubPayload) => {
  release.id += 1;
  release.tag_name = "0.0.2";
  release.published_at = "2019-05-16T15:19:00Z";
};

/** Deploy notifications and the GitHub write-back (issue #12, ADR 0029). */
export const writebackScenarios: readonly Scenario[] = [
  {
    name: "deploy-notifications",
    summary:
      "worker's notices to SNS and a Slack webhook: started, each step, rolled back by WorkerErrors with the reason; the next push started, each step, deployed",
    world: { webhook: { deployments: ["worker"] } },
    steps: [
      push("worker"),
      advance(90),
      alarm(
        "WorkerErrors",
        "ALARM",
        "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)",
      ),
      runOut(),
      alarm(
        "WorkerErrors",
        "OK",
        "Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (5.0)",
      ),
      push("worker"),
      runOut(),
    ],
    expect: [
      aliasOn(WORKER, "3"),
      outcomes("rolled-back", "deployed"),
      notified(
        "webhook",
        ...ROLLOUT.slice(0, 3),
        "Switchyard: worker: rolled back",
        ...ROLLOUT,
        "Switchyard: worker: deployed",
      ),
      noticeSaid(
        "webhook",
        "Switchyard: worker: rolled back",
        "Reason: alarm WorkerErrors went to ALARM: Threshold Crossed",
        "the webhook's rollback notice should say which alarm fired and why",
      ),
      noticeSaid(
        "webhook",
        "Switchyard: worker: deployed",
        "deploy/shifted: 75% on version 3",
        "the deployed notice should carry the rollout's timeline",
      ),
      notified(
        "sns",
        ...ROLLOUT.slice(0, 3),
        "Switchyard: worker rolled back",
        ...ROLLOUT,
        "Switchyard: worker deployed",
      ),
    ],
  },
  {
    name: "github-writeback-release-superseded",
    summary:
      "GitHub release 0.0.1 → deployment created, in_progress → success; release 0.0.2 → its deployment succeeds and 0.0.1's goes inactive",
    configure: releasedByGithub,
    world: { ...GITHUB_WORLD, github: {} },
    steps: [
      push("worker", "0.0.1"),
      push("worker", "0.0.2"),
      github("release"),
      runOut(),
      github("release", nextRelease),
      runOut(),
    ],
    expect: [
      aliasOn(WORKER, "3"),
      outcomes("deployed", "deployed"),
      githubWrote("deployment", "1000 0.0.1", "1001 0.0.2"),
      githubWrote(
        "deployment-status",
        "1000 in_progress",
        "1000 success",
        "1001 in_progress",
        "1001 success",
        "1000 inactive",
      ),
      githubWrote(
        "commit-status",
        ...[1, 2].flatMap(() => [`${RELEASE_SHA} pending`, `${RELEASE_SHA} success`]),
      ),
    ],
  },
  {
    name: "github-writeback-outage-aws-unaffected",
    summary:
      "GitHub deployment event while GitHub's API answers 500 → the alias still goes to 100%, each unwritten status audited",
    configure: releasedByGithub,
    world: { ...GITHUB_WORLD, github: { failWrites: 100 } },
    steps: [push("worker", DEPLOYMENT_SHA), github("deployment"), runOut()],
    expect: [
      aliasOn(WORKER, "2", "GitHub's outage must not hold the alias back"),
      outcomes("deployed"),
      githubWrote("deployment-status"),
      auditSaid(
        "github-failed",
        "started not written back (HTTP 500); the deployment is not affected",
        "the unwritten in_progress status should be audited",
      ),
      auditSaid(
        "github-failed",
        "succeeded not written back (HTTP 500); the deployment is not affected",
        "the unwritten success status should be audited",
      ),
    ],
  },
];
