import { sign } from "@octokit/webhooks-methods";

// The local GitHub API and function URL live beside the scenarios that use them too.
export {
  type AlertUpdate,
  type StatusWrite,
  startFunctionUrl,
  startGithubApi,
} from "../../packages/cli/src/scenarios/github.ts";

/**
 * A signed GitHub delivery as a function URL hands it to the receiver (payload format 2.0),
 * from GitHub's hook address: `event` with `payload` as its body, signed with `secret`.
 */
export async function signedFunctionUrlEvent(options: {
  event: string;
  payload: unknown;
  delivery: string;
  secret: string;
  timeEpoch: number;
}) {
  const body = JSON.stringify(options.payload);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event,
      "x-github-delivery": options.delivery,
      "x-hub-signature-256": await sign(options.secret, body),
    },
    requestContext: {
      http: {
        method: "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "192.30.252.1",
        userAgent: "GitHub-Hookshot/1",
      },
      timeEpoch: options.timeEpoch,
    },
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
  };
}
