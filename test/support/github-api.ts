import { sign } from "@octokit/webhooks-methods";

// The local GitHub API and function URL live beside the scenarios that use them too.
export {
  type AlertUpdate,
  type StatusWrite,
  startFunctionUrl,
  startGithubApi,
} from "../../packages/cli/src/scenarios/github.ts";

/**
 * A request from GitHub's hook address as a function URL hands it to the receiver (payload
 * format 2.0): `headers` as sent, `body` as text, or base64-encoded when `base64`.
 */
export function functionUrlEvent<H extends Record<string, unknown>>(request: {
  headers: H;
  body: string;
  base64: boolean;
  timeEpoch: number;
}) {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: request.headers,
    requestContext: {
      http: {
        method: "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "192.30.252.1",
        userAgent: "GitHub-Hookshot/1",
      },
      timeEpoch: request.timeEpoch,
    },
    body: request.base64 ? Buffer.from(request.body).toString("base64") : request.body,
    isBase64Encoded: request.base64,
  };
}

/**
 * A signed GitHub delivery as a function URL hands it to the receiver, base64-encoded:
 * `event` with `payload` as its body, signed with `secret`.
 */
export async function signedFunctionUrlEvent(options: {
  event: string;
  payload: unknown;
  delivery: string;
  secret: string;
  timeEpoch: number;
}) {
  const body = JSON.stringify(options.payload);
  return functionUrlEvent({
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event,
      "x-github-delivery": options.delivery,
      "x-hub-signature-256": await sign(options.secret, body),
    },
    body,
    base64: true,
    timeEpoch: options.timeEpoch,
  });
}
