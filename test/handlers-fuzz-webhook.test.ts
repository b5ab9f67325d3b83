import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { hostileValue, type Json, pathsOf, pick, plantHostile, random } from "./support/fuzz.ts";
import {
  broke,
  eventsFor,
  localName,
  printTallies,
  type Tally,
  tally,
  writesSince,
} from "./support/fuzz-functions.ts";
import { example } from "./support/scenario.ts";

/**
 * Issue #11's fuzz, the GitHub webhook receiver behind its function URL: real deliveries
 * (`@octokit/webhooks-examples`) that nobody holding the secret signed: unsigned, signed with
 * another secret, signed before hostile values were planted in the body, with a malformed or
 * hostile signature or event header, or huge (up to the function URL's 6 MB). Every one is
 * answered 4xx without a throw, and none writes anything (no event on the bus, no delivery record).
 */

const SEED = 20_261_132;
const SECRET = "webhook-fuzz-secret-7c1e0b9d4a2f";
// Invented: the secret a forger guesses (no public sample exists).
const WRONG = "not-the-webhook-secret-00000000";
const webhooks = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];
const PAYLOADS = ["ping", "release", "deployment", "push", "secret_scanning_alert"].flatMap((name) =>
  (webhooks.find((w) => w.name === name)?.examples.slice(0, 2) ?? []).map((example) => ({
    event: name,
    text: JSON.stringify(example),
  })),
);
const HUGE = [300_000, 1_100_000, 6_000_000];

type Forgery = "unsigned" | "forged" | "tampered" | "malformed" | "hostile-headers" | "huge";
const FORGERIES: readonly Forgery[] = ["unsigned", "forged", "tampered", "malformed", "hostile-headers"];

/** A header as a function URL hands it over: always text (a value that is not, as its JSON). */
const headerText = (value: Json): string => (typeof value === "string" ? value : JSON.stringify(value));

/** One forged delivery, as the function URL hands it to the function. */
async function forged(draw: () => number, n: number): Promise<{ request: Json; forgery: Forgery }> {
  const payload = pick(draw, PAYLOADS);
  const forgery: Forgery = draw() < 0.01 ? "huge" : pick(draw, FORGERIES);
  const original = payload.text;
  let body = original;
  if (forgery === "huge") body = `{"zen":"${"x".repeat(pick(draw, HUGE))}"}`;
  else if (forgery === "tampered" || draw() < 0.3) {
    const value = JSON.parse(original) as Json;
    plantHostile(draw, value, pathsOf(value));
    body = JSON.stringify(value);
    // A planted value can equal the one it replaced: a trailing space still changes the bytes signed.
    if (body === original) body = `${original} `;
  }
  const headers: Record<string, Json> = {
    "content-type": "application/json",
    "x-github-event": payload.event,
    "x-github-delivery": `f0220000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  };
  if (forgery === "forged" || forgery === "huge" || forgery === "hostile-headers")
    headers["x-hub-signature-256"] = await sign(WRONG, body);
  else if (forgery === "tampered") headers["x-hub-signature-256"] = await sign(SECRET, original);
  else if (forgery === "malformed")
    headers["x-hub-signature-256"] = pick(draw, [
      "sha256=",
      "sha256=zz",
      `sha1=${"0".repeat(40)}`,
      `sha256=${"0".repeat(64)}`,
      headerText(hostileValue(draw, "signature")),
    ]);
  if (forgery === "hostile-headers")
    for (const name of ["x-github-event", "x-github-delivery", "content-type"])
      if (draw() < 0.5) headers[name] = headerText(hostileValue(draw, name));
  const base64 = draw() < 0.5;
  return {
    forgery,
    request: {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/",
      rawQueryString: "",
      headers,
      requestContext: {
        http: {
          method: "POST",
          path: "/",
          protocol: "HTTP/1.1",
          sourceIp: "192.30.252.1",
          userAgent: "GitHub-Hookshot/1",
        },
        timeEpoch: 1_574_000_000_000,
      },
      body: base64 ? Buffer.from(body).toString("base64") : body,
      isBase64Encoded: base64,
    },
  };
}

let plane: ControlPlane;
const tallies: { "github-webhook"?: Tally } = {};

beforeAll(async () => {
  plane = await startControlPlane(example(), { webhookSecret: SECRET });
});
afterAll(async () => {
  printTallies("the webhook receiver under the fuzz:", tallies);
  await plane?.close();
});

describe("the GitHub webhook receiver under forged deliveries (issue #11 fuzz)", () => {
  const count = eventsFor("github-webhook");
  it(`github-webhook: ${count} forged or oversized deliveries answered 4xx, nothing written`, async () => {
    const draw = random(SEED);
    const name = localName("github-webhook");
    const t = tally();
    tallies["github-webhook"] = t;
    for (let i = 0; i < count; i++) {
      const { request, forgery } = await forged(draw, i);
      const before = plane.account.calls.length;
      const out = await plane.account.lambda.invoke(name, request, { principal: "function-url" });
      t.events++;
      const status = (out.result as { statusCode?: number } | null)?.statusCode ?? 0;
      const writes = writesSince(plane, name, before);
      if (out.error || status < 400 || status >= 500 || writes.length > 0) {
        broke(
          t,
          `${forgery}: ${out.error ? `threw ${out.error.errorType}` : `answered ${status}`}, wrote [${writes.map((c) => `${c.service}:${c.action}`).join(", ")}]`,
        );
        continue;
      }
      t.rejected++;
    }
    expect(t.broken, `${t.brokenCount} of ${t.events} deliveries broke a rule`).toEqual([]);
  }, 600_000);
});
