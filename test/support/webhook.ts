import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import type { Context } from "aws-lambda";

/** GitHub's own example deliveries (`@octokit/webhooks-examples`), by event name. */
const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** The `index`th example GitHub ships for `event` (undefined when it ships none). */
export const githubExample = (event: string, index = 0): unknown =>
  webhooks.find((hook) => hook.name === event)?.examples[index];

/** The examples GitHub ships for `event`. */
export const githubExamples = (event: string): readonly unknown[] =>
  webhooks.find((hook) => hook.name === event)?.examples ?? [];

/**
 * The context Lambda hands the GitHub webhook receiver's function in `region` (a new request id
 * each call), as an async handler sees it: the callback-style completions are never used.
 */
export function webhookLambdaContext(region: string): Context {
  const notInvokedByThisRuntime = () => {
    throw new Error("callback-style completion is not used by async handlers");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "switchyard-github-webhook",
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:switchyard-github-webhook`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/switchyard-github-webhook",
    logStreamName: "2026/11/25/[$LATEST]6e0a0d9d7c3f4a6fb1d3c2a4e5f60718",
    getRemainingTimeInMillis: () => 29_000,
    done: notInvokedByThisRuntime,
    fail: notInvokedByThisRuntime,
    succeed: notInvokedByThisRuntime,
  };
}
