import { createServer, type Server } from "node:http";

/**
 * GitHub, as far as the scenarios and the tests need it on a machine without the internet: its
 * REST API for secret scanning alerts and hook configurations, and a function URL in front of the
 * simulated webhook receiver (a real HTTP server, so deliveries arrive as GitHub sends them).
 */

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
/** A deployment status or commit status the server recorded, as GitHub would list it. */
export interface StatusWrite {
  readonly kind: "deployment" | "deployment-status" | "commit-status";
  /** The deployment id, or the commit sha. */
  readonly target: string;
  readonly body: Record<string, unknown>;
}

export async function startGithubApi(options: {
  token: string;
  alerts: string[];
  hooks?: string[];
  /** Answer this many deployment and status writes with HTTP 500 first (GitHub's "Server Error"). */
  failWrites?: number;
}) {
  const updates: AlertUpdate[] = [];
  const hookSecrets = new Map<string, string>();
  const statuses: StatusWrite[] = [];
  let failWrites = options.failWrites ?? 0;
  let nextDeployment = 1_000;
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
      // Deployments and statuses:
      // https://docs.github.com/en/rest/deployments/deployments#create-a-deployment (201, with its id and sha),
      // https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status (201),
      // https://docs.github.com/en/rest/commits/statuses#create-a-commit-status (201; state one of
      // error, failure, pending, success, else 422).
      const deployments =
        /^\/repos\/([^/]+)\/([^/]+)\/(deployments(?:\/(\d+)\/statuses)?|statuses\/([0-9a-f]{40}))$/.exec(
          req.url ?? "",
        );
      if (deployments && req.method === "POST") {
        if (failWrites > 0) {
          failWrites--;
          return reply(500, { message: "Server Error" });
        }
        const body = JSON.parse(text || "{}") as Record<string, unknown>;
        if (deployments[5]) {
          if (!["error", "failure", "pending", "success"].includes(String(body.state)))
            return reply(422, { message: "Validation Failed" });
          statuses.push({ kind: "commit-status", target: deployments[5], body });
          return reply(201, { id: statuses.length, state: body.state, context: body.context });
        }
        if (deployments[4]) {
          const states = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];
          if (!states.includes(String(body.state))) return reply(422, { message: "Validation Failed" });
          statuses.push({ kind: "deployment-status", target: deployments[4], body });
          return reply(201, { id: statuses.length, state: body.state });
        }
        const id = nextDeployment++;
        const sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
        statuses.push({ kind: "deployment", target: String(id), body });
        return reply(201, { id, sha, ref: body.ref, environment: body.environment });
      }
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
    /** Deployments created and statuses written, in order. */
    statuses,
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
