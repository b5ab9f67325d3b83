import { performance } from "node:perf_hooks";
import type { BusEventOut } from "@switchyard/sim";
import { replay, replaySummary } from "../replay.ts";
import {
  alarmStateChange,
  digestOf,
  executionSucceeded,
  imageDelete,
  imagePush,
  imageScan,
} from "./events.ts";
import { round } from "./stats.ts";
import { benchConfig, deployment, TAG } from "./world.ts";

export interface ReplayThroughput {
  unit: "events/s";
  eventsPerSecond: number;
  events: number;
  seconds: number;
  /** How replay classified the stream: a check that the mix did what it is meant to. */
  statuses: Record<"accepted" | "ignored" | "rejected", number>;
  rollbacks: number;
  deadLetters: number;
  /**
   * The AWS calls the stream's reactions made while it was measured, DynamoDB's apart: the bench
   * prices them at the bare-call floors it measures for the rollback, the part of replay's cost
   * that is the SDK and the account rather than Switchyard's own work.
   */
  calls: { dynamodb: number; other: number };
}

const DEPLOYMENTS = 4;
const START = Date.parse("2019-11-16T01:54:34Z");

/**
 * One cycle per deployment in turn, eight events: push and clean scan (a deploy reaches its
 * canary step), the guarding alarm to ALARM (rollback) and back to OK (matches no rule), two
 * events no rule wants (an image deletion, a Step Functions status change), a push whose
 * detail lost its digest (routed, rejected by the parser, dead-lettered) and a value that is
 * not an event at all (rejected before the bus).
 */
export function mixedStream(cycles: number): unknown[] {
  const events: unknown[] = [];
  let second = 0;
  // Ten seconds apart: a deploy's code update takes Lambda a few seconds (function states)
  // before it shifts, and the replay delivers each event at its own time.
  const at = () => new Date(START + 10_000 * second++).toISOString().replace(".000Z", "Z");
  for (let i = 0; i < cycles; i++) {
    const d = deployment(i % DEPLOYMENTS);
    const digest = digestOf(i);
    events.push(
      imagePush(d.repository, TAG, digest, at()),
      imageScan(d.repository, digest, { LOW: 3, INFORMATIONAL: 1 }, at()),
      alarmStateChange(d.alarm, "ALARM", at()),
      alarmStateChange(d.alarm, "OK", at()),
      imageDelete(d.repository, TAG, digestOf(i - 1), at()),
      executionSucceeded(at()),
      withoutDigest(imagePush(d.repository, TAG, digest, at())),
      "ECR Image Action",
    );
  }
  return events;
}

function withoutDigest(event: BusEventOut): BusEventOut {
  const { "image-digest": _lost, ...detail } = event.detail as Record<string, unknown>;
  return { ...event, detail };
}

/**
 * Events per second through `replay()`, counted from the first event handed over to the last
 * one settled: starting the local control plane and running timers out afterwards are not
 * the stream's cost.
 */
export async function measureReplayThroughput(cycles: number): Promise<ReplayThroughput> {
  const config = benchConfig(Array.from({ length: DEPLOYMENTS }, (_, n) => deployment(n)));
  const events = mixedStream(cycles);
  let first = 0;
  let last = 0;
  let settled = 0;
  const calls = { dynamodb: 0, other: 0 };
  const report = await replay(config, events, {
    prepare: (plane) => {
      plane.account.onCall((call) => {
        if (settled < events.length) calls[call.service === "dynamodb" ? "dynamodb" : "other"]++;
      });
      first = performance.now();
    },
    onEvent: () => {
      settled++;
      last = performance.now();
    },
  });
  const seconds = (last - first) / 1000;
  const statuses = { accepted: 0, ignored: 0, rejected: 0 };
  for (const e of report.events) statuses[e.status]++;
  return {
    unit: "events/s",
    eventsPerSecond: round(events.length / seconds, 1),
    events: events.length,
    seconds: round(seconds, 3),
    statuses,
    rollbacks: report.executions.filter((e) => e.outcome === "rolled-back").length,
    deadLetters: report.deadLetters.length,
    calls,
  };
}

export interface NoMatchThroughput {
  unit: "events/s";
  eventsPerSecond: number;
  events: number;
  seconds: number;
  /** Every event must come out ignored: a check that none matched a rule. */
  ignored: number;
}

/**
 * Events per second for a stream no rule matches (image deletions and Step Functions status
 * changes, each a distinct delivery), through the streaming replay `--from` uses.
 */
export async function measureNoMatchThroughput(count: number): Promise<NoMatchThroughput> {
  const config = benchConfig(Array.from({ length: DEPLOYMENTS }, (_, n) => deployment(n)));
  const at = (i: number) => new Date(START + 1000 * i).toISOString().replace(".000Z", "Z");
  function* events() {
    for (let i = 0; i < count; i++) {
      const d = deployment(i % DEPLOYMENTS);
      yield {
        value: i % 2 === 0 ? imageDelete(d.repository, TAG, digestOf(i), at(i)) : executionSucceeded(at(i)),
      };
    }
  }
  const summary = await replaySummary(config, events());
  return {
    unit: "events/s",
    eventsPerSecond: round(summary.events / summary.seconds, 1),
    events: summary.events,
    seconds: round(summary.seconds, 3),
    ignored: summary.statuses.ignored,
  };
}
