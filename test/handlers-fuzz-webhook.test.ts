import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { hostileValue, type Json, pathsOf, pick, plantHostile, random } from "./support/fuzz.ts";
import { callNames, eventsFor, fuzzInvocations, printTallies, type Tally } from "./support/fuzz-functions.ts";
import { functionUrlEvent } from "./support/github-api.ts";
import { example } from "./support/scenario.ts";
import { githubExamples } from "./support/webhook.ts";

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
const PAYLOADS = ["ping", "release", "deployment", "push", "secret_scanning_alert"].flatMap((name) =>
  githubExamples(name)
    .slice(0, 2)
    .map((example) => ({
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
    request: functionUrlEvent({ headers, body, base64, timeEpoch: 1_574_000_000_000 }),
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
    const t = await fuzzInvocations(plane, "github-webhook", tallies, {
      count,
      principal: "function-url",
      settle: false,
      next: async (i) => {
        const { request, forgery } = await forged(draw, i);
        return { event: request, forgery };
      },
      judge: ({ forgery }, out, writesMade) => {
        const status = (out.result as { statusCode?: number } | null)?.statusCode ?? 0;
        const writes = writesMade();
        if (out.error || status < 400 || status >= 500 || writes.length > 0)
          return {
            broke: `${forgery}: ${out.error ? `threw ${out.error.errorType}` : `answered ${status}`}, wrote [${callNames(writes)}]`,
          };
        return { as: "rejected" };
      },
    });
    expect(t.broken, `${t.brokenCount} of ${t.events} deliveries broke a rule`).toEqual([]);
  }, 600_000);
});
