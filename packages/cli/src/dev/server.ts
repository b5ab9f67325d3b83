import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readDuration } from "@switchyard/core/config/duration";
import type { ActionResult } from "./actions.ts";
import type { DevPlane } from "./engine.ts";
import type { OperatorAction, StateDir } from "./journal.ts";
import { type DevState, devState, PARTS } from "./view.ts";

/** The dashboard's files: plain HTML, CSS and JavaScript, served as they are. */
const UI_DIR = fileURLToPath(new URL("../ui/", import.meta.url));
const UI_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
};
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
/** A request body larger than this is refused (a batch of events, not a data set). */
const MAX_BODY = 4 * 1024 * 1024;

export interface DevServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * What a dashboard shows and does: a dev control plane, or a real account (`switchyard ui --aws`).
 * `refuse` makes it read-only: every POST is answered 403 with that one line.
 */
export interface DashboardSource {
  state(): Promise<DevState>;
  clock(): { now: number; speed: number };
  onChange(listener: () => void): void;
  act(action: OperatorAction): Promise<ActionResult>;
  send?(event: unknown, from: string): Promise<unknown>;
  advance?(ms: number): Promise<unknown>;
  readonly refuse?: string;
}

/**
 * Serves a dev control plane on 127.0.0.1: the dashboard, a small JSON API, server-sent events
 * for live updates, and the inbox folder (`.switchyard/inbox/`) whose JSON files it sends.
 * Writes `.switchyard/dev.json` (port and pid) so the other verbs find it, and removes it on close.
 */
export async function serveDev(
  dev: DevPlane,
  options: { dir: StateDir; port: number; operator: string; log: (line: string) => void },
): Promise<DevServer> {
  const dashboard = await serveDashboard(
    {
      state: () => devState(dev),
      clock: () => ({ now: dev.now(), speed: dev.speed }),
      onChange: (listener) => dev.onChange(listener),
      act: (action) => dev.act(action),
      send: (event, from) => dev.send(event, from),
      advance: (ms) => dev.advance(ms),
    },
    options,
  );
  await writeFile(
    options.dir.server,
    `${JSON.stringify({ pid: process.pid, port: dashboard.port, url: dashboard.url })}\n`,
    "utf8",
  );
  const inbox = watchInbox(dev, options.dir, options.log);
  return {
    port: dashboard.port,
    url: dashboard.url,
    async close() {
      await inbox.stop();
      await dashboard.close();
      await rm(options.dir.server, { force: true });
    },
  };
}

/**
 * Serves a dashboard on 127.0.0.1: the page, a small JSON API (`/api/state` and its parts,
 * `/api/actions`, and `/api/events` and `/api/advance` where the source takes them), and
 * server-sent events for live updates (`state` on every change, `clock` each second).
 */
export async function serveDashboard(
  source: DashboardSource,
  options: { port: number; operator: string; log: (line: string) => void },
): Promise<DevServer> {
  const streams = new Set<ServerResponse>();
  let last: { json: string; state: DevState } | undefined;
  let pending: Promise<void> | undefined;
  let again = false;

  /** Reads the state and sends it to every stream when it changed; at most one read at a time. */
  const publish = (): void => {
    if (pending) {
      again = true;
      return;
    }
    pending = (async () => {
      do {
        again = false;
        const state = await source.state();
        const json = JSON.stringify(state);
        if (json !== last?.json) {
          last = { json, state };
          for (const res of streams) res.write(`event: state\ndata: ${json}\n\n`);
        }
      } while (again);
    })()
      .catch((error: unknown) => options.log(`dashboard: cannot read the state: ${(error as Error).message}`))
      .finally(() => {
        pending = undefined;
      });
  };
  source.onChange(publish);
  const clock = setInterval(() => {
    const data = JSON.stringify(source.clock());
    for (const res of streams) res.write(`event: clock\ndata: ${data}\n\n`);
  }, 1000);

  let port = 0;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) options.log(`dev server: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) json(res, status, { error: (error as Error).message });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    guardOrigin(req, port);
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const path = url.pathname;
    if (await serveUiFile(req, res, path)) return;
    if (req.method === "GET" && path === "/api/health") return json(res, 200, { ok: true, pid: process.pid });
    if (req.method === "GET" && path === "/api/state") return json(res, 200, await source.state());
    if (req.method === "GET" && path === "/api/stream") return stream(req, res);
    if (req.method === "GET" && path.startsWith("/api/")) {
      const part = path.slice("/api/".length);
      if (!Object.hasOwn(PARTS, part)) throw new HttpError(404, `no such API: ${path}`);
      const state = await source.state();
      const value = PARTS[part as keyof typeof PARTS](state);
      const limit = Number(url.searchParams.get("limit") ?? "");
      return json(res, 200, part === "history" && limit > 0 ? (value as unknown[]).slice(-limit) : value);
    }
    if (req.method === "POST" && source.refuse) throw new HttpError(403, source.refuse);
    if (req.method === "POST" && path === "/api/events" && source.send) {
      const body = await readJson(req);
      const from = url.searchParams.get("from") ?? "api";
      const events = Array.isArray(body) ? body : [body];
      const reports = [];
      for (const event of events) reports.push(await source.send(event, from));
      return json(res, 200, { reports });
    }
    if (req.method === "POST" && path === "/api/actions") {
      const action = toAction(await readJson(req), options.operator);
      const result = await source.act(action);
      return json(res, result.ok ? 200 : 409, result);
    }
    if (req.method === "POST" && path === "/api/advance" && source.advance) {
      const body = (await readJson(req)) as { duration?: unknown };
      const read = readDuration(String(body.duration ?? ""));
      if ("problem" in read) throw new HttpError(400, read.problem);
      return json(res, 200, await source.advance(read.seconds * 1000));
    }
    throw new HttpError(404, `no such page: ${req.method} ${path}`);
  }

  function stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(`retry: 1000\n\n`);
    streams.add(res);
    req.on("close", () => streams.delete(res));
    void source.state().then(
      (state) => res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`),
      (error: unknown) => options.log(`dashboard: cannot read the state: ${(error as Error).message}`),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    async close() {
      clearInterval(clock);
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves the dashboard's page, script or style sheet when `path` names one; false otherwise. */
export async function serveUiFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  const name = req.method === "GET" ? UI_FILES[path] : undefined;
  if (!name) return false;
  const file = join(UI_DIR, name);
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": "no-store",
    "content-security-policy":
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
  });
  res.end(await readFile(file));
  return true;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * The API is for this machine's own tools and pages: a page from another site (or a DNS name
 * rebound to 127.0.0.1) must not drive it. Browsers send Origin on cross-site requests and the
 * Host they think they talk to; both must be this server's.
 */
export function guardOrigin(req: IncomingMessage, port: number): void {
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  if (!allowed.has(req.headers.host ?? ""))
    throw new HttpError(403, `switchyard dev answers only to 127.0.0.1:${port}`);
  const origin = req.headers.origin;
  if (origin && !allowed.has(origin.replace(/^http:\/\//, "")))
    throw new HttpError(403, `switchyard dev does not answer pages from ${origin}`);
  if (req.method === "POST" && !/^application\/json\b/.test(req.headers["content-type"] ?? ""))
    throw new HttpError(415, "send JSON (content-type: application/json)");
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `the body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (error) {
    throw new HttpError(400, `the body is not JSON (${(error as Error).message})`);
  }
}

const text = (body: Record<string, unknown>, field: string, required = true): string => {
  const value = body[field];
  if (typeof value === "string" && value.trim() !== "") return value.trim().slice(0, 500);
  if (!required) return "";
  throw new HttpError(400, `the action needs "${field}" (a non-empty string)`);
};

/**
 * A deploy, pause|resume DEPLOYMENT, retry or abort action's shape (ADR 0029): the verb, the
 * deployment and a reason; deploy names one of image or tag.
 */
function deploymentAction(
  body: Record<string, unknown>,
  by: string,
  field: (name: string, required: boolean) => string,
): OperatorAction {
  const verbs = ["deploy", "pause", "resume", "retry", "abort", "unfreeze"] as const;
  const verb = verbs.find((v) => v === body.verb);
  if (!verb) throw new HttpError(400, `the action needs "verb": one of ${verbs.join(", ")}`);
  const image = field("image", false);
  const tag = field("tag", false);
  return {
    do: "deployment",
    verb,
    deployment: field("deployment", true),
    reason: field("reason", verb !== "deploy"),
    by,
    ...(image ? { image } : {}),
    ...(tag ? { tag } : {}),
    ...(body.breakGlass === true ? { breakGlass: true } : {}),
    ...(body.force === true ? { force: true } : {}),
  };
}

/** Checks an action's shape; `by` defaults to the user who runs `switchyard dev`. */
export function toAction(input: unknown, operator: string): OperatorAction {
  if (!input || typeof input !== "object" || Array.isArray(input))
    throw new HttpError(400, 'an action is a JSON object with "do"');
  const body = input as Record<string, unknown>;
  const by = text(body, "by", false) || operator;
  switch (body.do) {
    case "pause":
    case "resume":
      return { do: body.do, reason: text(body, "reason"), by };
    case "rollback":
    case "promote":
    case "abandon": {
      const to = body.do === "rollback" ? text(body, "to", false) : "";
      return {
        do: body.do,
        deployment: text(body, "deployment"),
        reason: text(body, "reason"),
        by,
        ...(to ? { to } : {}),
      };
    }
    case "approve":
    case "deny":
      return { do: body.do, anomaly: text(body, "anomaly"), by };
    case "deploy-approve":
    case "deploy-deny":
      return { do: body.do, deployment: text(body, "deployment"), reason: text(body, "reason"), by };
    case "failover-start":
    case "failback-start":
      return { do: body.do, runbook: text(body, "runbook"), dryRun: body.dryRun === true, by };
    case "failover-approve":
    case "failover-deny":
      return { do: body.do, runbook: text(body, "runbook"), by };
    case "deployment":
      return deploymentAction(body, by, (field, required) => text(body, field, required));
    default:
      throw new HttpError(
        400,
        `unknown action ${JSON.stringify(body.do)}; one of pause, resume, rollback, promote, abandon, approve, deny, deploy-approve, deploy-deny, failover-start, failback-start, failover-approve, failover-deny`,
      );
  }
}

/**
 * Sends the JSON files dropped in the inbox, oldest name first, then moves each to
 * `inbox/sent/` (or `inbox/rejected/` with the reason beside it). Files whose name starts with
 * "." or ends in ".tmp" are being written: write elsewhere and rename into the inbox.
 */
function watchInbox(dev: DevPlane, dir: StateDir, log: (line: string) => void) {
  let stopped = false;
  let busy = false;
  let running: Promise<void> = Promise.resolve();
  const sent = join(dir.inbox, "sent");
  const rejected = join(dir.inbox, "rejected");
  const scan = async () => {
    await mkdir(sent, { recursive: true });
    await mkdir(rejected, { recursive: true });
    const names = (await readdir(dir.inbox, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith(".json") && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      if (stopped) return;
      const file = join(dir.inbox, name);
      let events: unknown[];
      try {
        const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
        events = Array.isArray(parsed) ? parsed : [parsed];
      } catch (error) {
        await rename(file, join(rejected, name));
        await writeFile(join(rejected, `${name}.reason.txt`), `not JSON: ${(error as Error).message}\n`);
        log(`inbox: ${name} is not JSON; moved to inbox/rejected/`);
        continue;
      }
      for (const event of events) await dev.send(event, `inbox/${name}`);
      if (existsSync(file)) await rename(file, join(sent, name));
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    running = scan()
      .catch((error: unknown) => log(`inbox: ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, 500);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
