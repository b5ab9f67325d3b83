import * as z from "zod";
import { name, text } from "../bounds.ts";

/**
 * GitHub webhooks as Switchyard's receiver puts them on the bus: the X-GitHub-Event header
 * becomes the detail-type and the payload becomes the detail (source "github.com").
 * Only the fields Switchyard acts on are validated; the payload schemas are GitHub's
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads), examples from
 * @octokit/webhooks-examples.
 */

export const GITHUB_SOURCE = "github.com";

// GitHub: owner logins are at most 39 characters and repository names at most 100, so full_name ≤ 140; git ref
// and tag names are kept to 255 (the usual file-name limit git's refs live under). Ids are safe integers.
const Repository = z.looseObject({ full_name: name(140) });
const Id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const GithubDeploymentDetail = z.looseObject({
  action: name(64),
  deployment: z.looseObject({
    id: Id,
    sha: name(64),
    ref: name(255),
    task: text(255),
    environment: name(255),
    // Free-form data the deployment's creator attached: an object, or a string on older APIs.
    payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  }),
  repository: Repository,
});

export const GithubReleaseDetail = z.looseObject({
  action: name(64),
  release: z.looseObject({
    id: Id,
    tag_name: name(255),
    name: text(1024).nullable(),
    target_commitish: text(255),
    draft: z.boolean(),
    prerelease: z.boolean(),
  }),
  repository: Repository,
});

export const GithubSecretScanningAlertDetail = z.looseObject({
  action: name(64),
  alert: z.looseObject({
    number: Id,
    secret_type: name(255),
    resolution: text(64).nullable().optional(),
  }),
  repository: Repository,
});

export const GithubWorkflowRunDetail = z.looseObject({
  action: name(64),
  workflow_run: z.looseObject({
    id: Id,
    name: text(1024).nullable(),
    head_sha: name(64),
    head_branch: text(255).nullable(),
    event: name(64),
    status: text(64).nullable(),
    conclusion: text(64).nullable(),
  }),
  repository: Repository,
});

/** Sent once when a webhook is created; proves the hook works. */
export const GithubPingDetail = z.looseObject({
  zen: text(1024),
  hook_id: Id,
  hook: z.looseObject({ type: text(64) }),
});

/** Any other GitHub event: accepted as an object, left for its reaction to interpret. */
export const GithubEventDetail = z.record(z.string(), z.unknown());
