import * as z from "zod";

/**
 * GitHub webhooks as Switchyard's receiver puts them on the bus: the X-GitHub-Event header
 * becomes the detail-type and the payload becomes the detail (source "github.com").
 * Only the fields Switchyard acts on are validated; the payload schemas are GitHub's
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads), examples from
 * @octokit/webhooks-examples.
 */

export const GITHUB_SOURCE = "github.com";

const Repository = z.looseObject({ full_name: z.string().min(1) });

export const GithubDeploymentDetail = z.looseObject({
  action: z.string().min(1),
  deployment: z.looseObject({
    id: z.number().int(),
    sha: z.string().min(1),
    ref: z.string().min(1),
    task: z.string(),
    environment: z.string().min(1),
    // Free-form data the deployment's creator attached: an object, or a string on older APIs.
    payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  }),
  repository: Repository,
});

export const GithubReleaseDetail = z.looseObject({
  action: z.string().min(1),
  release: z.looseObject({
    id: z.number().int(),
    tag_name: z.string().min(1),
    name: z.string().nullable(),
    target_commitish: z.string(),
    draft: z.boolean(),
    prerelease: z.boolean(),
  }),
  repository: Repository,
});

export const GithubSecretScanningAlertDetail = z.looseObject({
  action: z.string().min(1),
  alert: z.looseObject({
    number: z.number().int(),
    secret_type: z.string().min(1),
    resolution: z.string().nullable().optional(),
  }),
  repository: Repository,
});

export const GithubWorkflowRunDetail = z.looseObject({
  action: z.string().min(1),
  workflow_run: z.looseObject({
    id: z.number().int(),
    name: z.string().nullable(),
    head_sha: z.string().min(1),
    head_branch: z.string().nullable(),
    event: z.string().min(1),
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
  }),
  repository: Repository,
});

/** Sent once when a webhook is created; proves the hook works. */
export const GithubPingDetail = z.looseObject({
  zen: z.string(),
  hook_id: z.number().int(),
  hook: z.looseObject({ type: z.string() }),
});

/** Any other GitHub event: accepted as an object, left for its reaction to interpret. */
export const GithubEventDetail = z.record(z.string(), z.unknown());
