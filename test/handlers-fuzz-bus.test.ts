import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import type { FunctionName } from "../packages/core/src/wiring.ts";
import { costConfig } from "./support/cost.ts";
import { type Json, pathsOf, pick, plantHostile, random, WELL_FORMED_FOREIGN } from "./support/fuzz.ts";
import {
  callNames,
  deadLetters,
  eventsFor,
  fuzzInvocations,
  printTallies,
  type Tally,
} from "./support/fuzz-functions.ts";
import { fixture } from "./support/scenario.ts";

/**
 * Issue #11's fuzz, the functions EventBridge (or SNS, or a schedule) invokes: events made from
 * the real fixtures each function takes (and, one in ten, from another function's: misrouted),
 * in the config's own account and region, then one to three hostile values planted anywhere
 * (huge strings, extreme numbers, foreign accounts and regions, nulls, wrong types), and one in
 * six moved to a well-formed foreign account or region. Every one is answered without a throw;
 * every rejected one writes nothing but its dead letter (one SendMessage to the DLQ per
 * rejection). Accepted ones act as they would; the plane settles after each.
 */

const SEED = 20_261_130;

/** The fixtures each bus function takes, as EventBridge (SNS, the schedule) hands them over. */
const SOURCES: Partial<Record<FunctionName, string[]>> = {
  "deploy-trigger": [
    "aws/ecr/image-push.json",
    "github/release-published.json",
    "github/deployment-created.json",
  ],
  "scan-result": [
    "aws/ecr/image-scan.json",
    "aws/inspector2/ecr-image-scan.json",
    "aws/inspector2/ecr-image-initial-scan-no-findings.json",
    "scenarios/image-scan-clean.json",
  ],
  rollback: [
    "scenarios/alarm-server-cpu-too-high.json",
    "aws/cloudwatch/alarm-state-change-metric.json",
    "aws/cloudwatch/alarm-state-change-composite.json",
    "aws/cloudwatch/alarm-state-change-composite-suppressed.json",
  ],
  "deploy-watch": [
    "aws/states/execution-status-change-failed.json",
    "aws/states/execution-status-change-aborted.json",
    "aws/states/execution-status-change-timed-out.json",
    "aws/states/execution-status-change-succeeded.json",
  ],
  "cost-intake": ["aws/ce/anomaly-detected.json", "aws/ce/sns-anomaly-lambda-event.json"],
  "failover-trigger": [
    "aws/health/route53-health-check-alarm.json",
    "aws/health/public-elb-operational-issue.json",
    "aws/health/account-specific-ec2-instance-store-degraded.json",
    "aws/arc-zonal-shift/autoshift-in-progress-resource.json",
    "aws/arc-zonal-shift/practice-run-interrupted.json",
  ],
  "secret-leak": ["github/secret-scanning-alert-created.json", "github/secret-scanning-alert-reopened.json"],
  "secrets-stuck": ["aws/events/scheduled-event.json"],
};
const ALL = [...new Set(Object.values(SOURCES).flat())];

/** A fixture as JSON text, in the config's account and region (so only the planted values can make it foreign). */
function base(path: string, account: string, region: string): { text: string; sns: boolean } {
  const event = fixture<Record<string, Json>>(path);
  if ("account" in event) event.account = account;
  if ("region" in event) event.region = region;
  return { text: JSON.stringify(event), sns: "Records" in event };
}

/** One mutated event from `path`'s fixture: hostile values planted, sometimes in the SNS message too. */
function mutated(draw: () => number, text: string, sns: boolean): Json {
  const event = JSON.parse(text) as Json & Record<string, Json>;
  if (sns && draw() < 0.7) {
    // The anomaly inside the SNS record is JSON text of its own: plant there as well.
    const record = (event.Records as { Sns: { Message: string } }[])[0];
    if (record) {
      const message = JSON.parse(record.Sns.Message) as Json;
      plantHostile(draw, message, pathsOf(message));
      record.Sns.Message = JSON.stringify(message);
    }
  }
  plantHostile(draw, event, pathsOf(event));
  if (!sns && draw() < 1 / 6) {
    if (draw() < 0.5) event.account = pick(draw, WELL_FORMED_FOREIGN.accounts);
    else event.region = pick(draw, WELL_FORMED_FOREIGN.regions);
  }
  return event;
}

/** The rejections a bus function's answer carries (one rejected result, or a batch's rejected parts). */
function rejectionsIn(result: unknown): number {
  const r = result as { outcome?: unknown; rejections?: unknown[] } | null;
  if (Array.isArray(r?.rejections)) return r.rejections.length;
  return r?.outcome === "rejected" ? 1 : 0;
}

let plane: ControlPlane;
const tallies: Partial<Record<FunctionName, Tally>> = {};

beforeAll(async () => {
  // The example config with a cost policy: deployments, a runbook and cost rules to act on.
  plane = await startControlPlane(costConfig());
});
afterAll(async () => {
  printTallies("bus functions under the fuzz:", tallies);
  await plane?.close();
});

describe("every bus function under mutated events (issue #11 fuzz)", () => {
  for (const [fn, paths] of Object.entries(SOURCES) as [FunctionName, string[]][]) {
    const count = eventsFor(fn);
    it(`${fn}: ${count} mutated events, no throw, nothing but a dead letter for each rejected one`, async () => {
      const { account, region } = plane.config;
      const own = paths.map((p) => base(p, account, region));
      const others = ALL.filter((p) => !paths.includes(p)).map((p) => base(p, account, region));
      const draw = random(SEED ^ fn.length ^ fn.charCodeAt(0));
      const t = await fuzzInvocations(plane, fn, tallies, {
        count,
        principal: "events.amazonaws.com",
        next: () => {
          const from = draw() < 0.1 ? others : own;
          const { text, sns } = pick(draw, from);
          return { event: mutated(draw, text, sns) };
        },
        judge: ({ event }, out, writesMade) => {
          if (out.error)
            return {
              broke: `threw ${out.error.errorType}: ${out.error.errorMessage} on ${JSON.stringify(event)}`,
            };
          const rejections = rejectionsIn(out.result);
          if (rejections === 0) return { as: "accepted" };
          const writes = writesMade();
          const extra = writes.filter((c) => !deadLetters(plane, c));
          const bad = extra.length > 0 || writes.length !== rejections;
          return {
            as: "rejected",
            broke: bad
              ? `rejected, yet wrote ${callNames(writes) || "no dead letter"}: ${JSON.stringify(out.result)}`
              : undefined,
          };
        },
      });
      expect(t.broken, `${t.brokenCount} of ${t.events} events broke a rule`).toEqual([]);
      // The fuzz must reach the dead-letter path: most mutated events are rejected.
      expect(t.rejected).toBeGreaterThan(0);
    }, 600_000);
  }
});
