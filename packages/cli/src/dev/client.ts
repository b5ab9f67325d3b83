import { readFile } from "node:fs/promises";
import type { StateDir } from "./journal.ts";

/** A running `switchyard dev`, as `.switchyard/dev.json` names it and its health check confirms. */
export interface DevEndpoint {
  readonly url: string;
  readonly pid: number;
}

/** The running dev control plane of this folder, or undefined when none runs (a stale dev.json included). */
export async function findDev(dir: StateDir): Promise<DevEndpoint | undefined> {
  let found: { url?: unknown; pid?: unknown };
  try {
    found = JSON.parse(await readFile(dir.server, "utf8")) as typeof found;
  } catch {
    // No dev.json (or half written): nothing runs here.
    return undefined;
  }
  if (typeof found.url !== "string" || typeof found.pid !== "number") return undefined;
  if (!alive(found.pid)) return undefined;
  try {
    const res = await fetch(new URL("api/health", found.url), { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
    const health = (await res.json()) as { pid?: unknown };
    return health.pid === found.pid ? { url: found.url, pid: found.pid } : undefined;
  } catch {
    // The process lives but does not answer: another program took the pid, or it is stopping.
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An answer of the dev API that is not a success: its status and the server's message. */
export class DevApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function getJson<T>(dev: DevEndpoint, path: string): Promise<T> {
  const res = await fetch(new URL(path, dev.url));
  return answer<T>(res);
}

export async function postJson<T>(dev: DevEndpoint, path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(path, dev.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return answer<T>(res);
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  // 409: the action was taken and journaled, and failed (nothing waits, stale...): the body says why.
  if (!res.ok && res.status !== 409) throw new DevApiError(res.status, body.error ?? res.statusText);
  return body as T;
}

/**
 * Reads the dev server's event stream: `onState` for each new state, `onClock` each second.
 * Resolves when the stream ends (the server stopped) or `signal` aborts.
 */
export async function followDev(
  dev: DevEndpoint,
  handlers: { onState: (state: unknown) => void; onClock?: (clock: { now: number; speed: number }) => void },
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(new URL("api/stream", dev.url), { signal });
  if (!res.ok || !res.body) throw new DevApiError(res.status, "the event stream is not available");
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.+)$/m.exec(message)?.[1];
        const data = message
          .split("\n")
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        if (!data) continue;
        if (type === "state") handlers.onState(JSON.parse(data));
        else if (type === "clock") handlers.onClock?.(JSON.parse(data) as { now: number; speed: number });
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
