import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

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
