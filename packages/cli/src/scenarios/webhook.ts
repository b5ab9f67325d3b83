import { createServer, type Server } from "node:http";

/** One post to a Slack-compatible incoming webhook: the text, and the blocks whose first is the headline. */
export interface WebhookPost {
  readonly text: string;
  readonly blocks: { type: string; text: { text: string } }[];
}

/**
 * A Slack-compatible incoming webhook on 127.0.0.1 (the kind `notify.webhookUrl` names): it
 * records each `{ text, blocks }` posted and answers `status` (200 "ok", or Slack's
 * "no_service" with another status, as a removed webhook answers).
 * https://api.slack.com/messaging/webhooks
 */
export async function startWebhook(status = 200) {
  const posts: WebhookPost[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      posts.push(JSON.parse(body) as WebhookPost);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "no_service");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/deploys`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
