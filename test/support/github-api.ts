import { createServer, type Server } from "node:http";

export interface AlertUpdate {
  readonly path: string;
  readonly authorization: string;
  readonly body: Record<string, unknown>;
}

/**
 * A local HTTP server implementing GitHub's "Update a secret scanning alert" endpoint
 * (PATCH /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}) for the alerts it knows:
 * 401 without a token, 404 for an unknown alert, 422 for a resolution GitHub does not accept.
 */
export async function startGithubApi(options: { token: string; alerts: string[] }) {
  const updates: AlertUpdate[] = [];
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
      const match = /^\/repos\/([^/]+)\/([^/]+)\/secret-scanning\/alerts\/(\d+)$/.exec(req.url ?? "");
      if (req.method !== "PATCH" || !match) return reply(404, { message: "Not Found" });
      const authorization = req.headers.authorization ?? "";
      if (authorization !== `token ${options.token}` && authorization !== `Bearer ${options.token}`)
        return reply(401, { message: "Bad credentials" });
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
