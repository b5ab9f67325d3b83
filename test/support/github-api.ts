import { createServer, type Server } from "node:http";
import { sign } from "@octokit/webhooks-methods";

export interface AlertUpdate {
  readonly path: string;
  readonly authorization: string;
  readonly body: Record<string, unknown>;
}

/**
 * A local HTTP server implementing GitHub's "Update a secret scanning alert" endpoint
 * (PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}) for the alerts it knows:
 * 401 without a token, 404 for an unknown alert, 422 for a resolution GitHub does not accept.
 * With `hooks` ("owner/repo#id"), it also implements "Get/Update a webhook configuration for a
 * repository" (GET/PATCH /repos/{owner}/{repo}/hooks/{hook_id}/config): like GitHub, it keeps the
 * secret and answers a mask in its place.
 */
export async function startGithubApi(options: { token: string; alerts: string[]; hooks?: string[] }) {
  const updates: AlertUpdate[] = [];
  const hookSecrets = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      const authorization = req.headers.authorization ?? "";
      if (authorization !== `token ${options.token}` && authorization !== `Bearer ${options.token}`)
        return reply(401, { message: "Bad credentials" });
      const hookConfig = /^\/repos\/([^/]+)\/([^/]+)\/hooks\/(\d+)\/config$/.exec(req.url ?? "");
      if (hookConfig) {
        const key = `${hookConfig[1]}/${hookConfig[2]}#${hookConfig[3]}`;
        if (!options.hooks?.includes(key)) return reply(404, { message: "Not Found" });
        if (req.method === "PATCH") {
          const body = JSON.parse(text || "{}") as Record<string, unknown>;
          if (typeof body.secret === "string") hookSecrets.set(key, body.secret);
        } else if (req.method !== "GET") return reply(404, { message: "Not Found" });
        return reply(200, {
          content_type: "json",
          insecure_ssl: "0",
          url: "https://example.com/webhook",
          ...(hookSecrets.has(key) ? { secret: "********" } : {}),
        });
      }
      const match = /^\/repos\/([^/]+)\/([^/]+)\/secret-scanning\/alerts\/(\d+)$/.exec(req.url ?? "");
      if (req.method !== "PATCH" || !match) return reply(404, { message: "Not Found" });
      const key = `${match[1]}/${match[2]}#${match[3]}`;
      if (!options.alerts.includes(key)) return reply(404, { message: "Not Found" });
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      if (
        body.state === "resolved" &&
        !["false_positive", "wont_fix", "revoked", "used_in_tests"].includes(String(body.resolution))
      )
        return reply(422, { message: "Validation Failed" });
      updates.push({ path: req.url ?? "", authorization, body });
      return reply(200, { number: Number(match[3]), state: body.state, resolution: body.resolution });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    updates,
    /** The secret GitHub would sign the hook's deliveries with ("owner/repo#id"). */
    hookSecret: (key: string) => hookSecrets.get(key),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A function URL in front of a simulated Lambda function: each HTTP request becomes the
 * payload-format-2.0 event AWS sends, and the function's result becomes the HTTP response.
 */
export async function startFunctionUrl(
  invoke: (
    event: unknown,
  ) => Promise<{ result?: unknown; error?: { errorType: string; errorMessage: string } }>,
) {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(",") : (value ?? ""),
        ]),
      );
      const out = await invoke({
        version: "2.0",
        routeKey: "$default",
        rawPath: req.url ?? "/",
        rawQueryString: "",
        headers,
        requestContext: {
          http: {
            method: req.method ?? "POST",
            path: req.url ?? "/",
            protocol: "HTTP/1.1",
            sourceIp: "127.0.0.1",
            userAgent: headers["user-agent"] ?? "",
          },
          timeEpoch: Date.now(),
        },
        body: Buffer.concat(chunks).toString("base64"),
        isBase64Encoded: true,
      });
      const result = (out.result ?? {}) as { statusCode?: number; body?: string };
      res.writeHead(out.error ? 502 : (result.statusCode ?? 200), { "content-type": "application/json" });
      res.end(out.error ? JSON.stringify(out.error) : (result.body ?? ""));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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
