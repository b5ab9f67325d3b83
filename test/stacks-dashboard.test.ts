import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { podinfoLeakable } from "./support/secrets.ts";

// The dashboard may only graph metrics the functions really emit. This file runs the functions
// with Powertools Metrics on, printing EMF through the global console (POWERTOOLS_DEV), and
// collects every metric they publish. Set before the modules that read it load.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_METRICS_DISABLED = "false";
const { playScenario } = await import("../packages/cli/src/scenarios.ts");
const { startControlPlane } = await import("../packages/cli/src/local/control-plane.ts");
const { parseConfig } = await import("../packages/core/src/config/index.ts");
const { functions, rules } = await import("../packages/core/src/wiring.ts");
const { factories } = await import("../packages/functions/src/index.ts");
const { planStack } = await import("../stacks/plan.ts");
const { default: exampleConfig } = await import("../switchyard.config.ts");
const { fixture } = await import("./support/scenario.ts");

/** A metric as CloudWatch identifies it: namespace, name and the full set of dimensions. */
const identity = (namespace: string, name: string, dimensions: Record<string, string>) =>
  `${namespace} ${name} ${JSON.stringify(Object.entries(dimensions).sort())}`;

/** Every metric in these EMF documents (CloudWatch embedded metric format: `_aws.CloudWatchMetrics`). */
function emfMetrics(lines: Record<string, unknown>[]): Set<string> {
  const found = new Set<string>();
  for (const line of lines) {
    const aws = line._aws as
      | { CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
      | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? [])
      for (const set of directive.Dimensions)
        for (const metric of directive.Metrics)
          found.add(
            identity(
              directive.Namespace,
              metric.Name,
              Object.fromEntries(set.map((d) => [d, String(line[d])])),
            ),
          );
  }
  return found;
}

/** What the functions print while `run` runs (one console call per log line or EMF document). */
async function printed(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const calls: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      calls.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    }),
  );
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return calls.filter((c) => c.trimStart().startsWith("{")).map((c) => JSON.parse(c));
}

/** The lines of every graph on the dashboard: [Namespace, MetricName, name, value, ..., {rendering}]. */
function graphed(body: string) {
  const { widgets } = JSON.parse(body) as {
    widgets: { type: string; properties: { title: string; metrics?: unknown[][]; alarms?: string[] } }[];
  };
  return widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((line) => {
      const [namespace, name, ...rest] = line as [string, string, ...unknown[]];
      const pairs = rest.filter((x): x is string => typeof x === "string");
      const dimensions = Object.fromEntries(
        Array.from({ length: pairs.length / 2 }, (_, i) => [pairs[2 * i], pairs[2 * i + 1]]),
      );
      return { widget: w.properties.title, namespace, name, dimensions };
    }),
  );
}

const context = { functionName: "dashboard-test", awsRequestId: "r-1" } as Context;
let emitted = new Set<string>();
let rejectedBy: string[] = [];

beforeAll(async () => {
  const lines: Record<string, unknown>[] = [];
  // What the scenarios do: deploys (started, duplicate, paused), a rollback, a cost response, a failover.
  for (const name of [
    "canary-rollback",
    "duplicate-push",
    "kill-switch",
    "ignition-cost",
    "ignition-failover",
  ])
    lines.push(
      ...(await printed(async () => {
        const result = await playScenario(name, exampleConfig);
        expect(result.failures, name).toEqual([]);
      })),
    );
  // A GitHub secret scanning alert for a managed secret: a rotation on a leak starts.
  const leaks = await startControlPlane(
    parseConfig({
      secrets: [podinfoLeakable],
    }),
    { secretValues: { "prod/podinfo/api": JSON.stringify({ apiKey: "k".repeat(40) }) } },
  );
  try {
    lines.push(...(await printed(() => leaks.deliver(fixture("github/secret-scanning-alert-created.json")))));
  } finally {
    await leaks.close();
  }
  // A malformed event to every function a rule invokes: each rejection is counted by the one that counts.
  const plane = await startControlPlane(parseConfig(exampleConfig));
  try {
    const rejections = await printed(async () => {
      for (const target of new Set(rules.map((r) => r.target))) {
        // The webhook receiver sits behind a function URL, never behind a rule.
        if (target === "github-webhook") continue;
        const handler = factories[target](() => plane.context) as (
          e: unknown,
          c: Context,
        ) => Promise<unknown>;
        await handler({ id: `malformed-${target}` }, context);
      }
    });
    lines.push(...rejections);
    rejectedBy = rejections.filter((l) => "events_rejected" in l).map((l) => String(l.reaction));
  } finally {
    await plane.close();
  }
  emitted = emfMetrics(lines);
}, 240_000);

afterAll(() => {
  vi.restoreAllMocks();
});

describe("the stack's CloudWatch dashboard", () => {
  const plan = planStack(exampleConfig, { stage: "production" });
  const lines = graphed(plan.dashboard.body);

  it("graphs only metrics the functions emit, under the namespace and dimensions they emit them with", () => {
    const ours = lines.filter((l) => !l.namespace.startsWith("AWS/"));

    expect(ours.length).toBeGreaterThan(0);
    for (const line of ours)
      expect([...emitted], `${line.widget}: ${line.name} ${JSON.stringify(line.dimensions)}`).toContain(
        identity(line.namespace, line.name, line.dimensions),
      );
  });

  it("graphs the rejected events of every reaction that counts them", () => {
    const rejected = lines.filter((l) => l.name === "events_rejected").map((l) => l.dimensions.reaction);

    expect(new Set(rejectedBy).size).toBeGreaterThan(0);
    expect(rejected.toSorted()).toEqual([...new Set(rejectedBy)].sort());
  });

  it("has a graph for deploys, rollbacks, rotations, cost responses, failovers and rejected events", () => {
    const titles = new Set(lines.map((l) => l.widget));

    for (const title of ["Deploys", "Rollbacks", "Rotations", "Cost responses", "Failovers"])
      expect(titles, title).toContain(title);
    expect([...titles].find((t) => t.startsWith("Rejected events"))).toBeDefined();
  });

  it("graphs the dead-letter queue's depth and the errors of every planned function", () => {
    const aws = lines.filter((l) => l.namespace.startsWith("AWS/"));

    expect(aws.filter((l) => l.namespace === "AWS/SQS")).toEqual([
      expect.objectContaining({
        name: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: plan.deadLetterQueue.name },
      }),
    ]);
    expect(
      aws
        .filter((l) => l.name === "Errors")
        .map((l) => l.dimensions)
        .toSorted((a, b) => String(a.FunctionName).localeCompare(String(b.FunctionName))),
    ).toEqual(
      plan.functions
        .map((f) => ({ FunctionName: f.functionName }))
        .toSorted((a, b) => a.FunctionName.localeCompare(b.FunctionName)),
    );
    // Lambda's own per-function metrics, only of functions the stack creates.
    const names = new Set(plan.functions.map((f) => f.functionName));
    for (const line of aws.filter((l) => l.namespace === "AWS/Lambda")) {
      expect(["Errors", "Invocations"]).toContain(line.name);
      expect(names).toContain(line.dimensions.FunctionName);
    }
    expect(functions.length).toBe(plan.functions.length);
  });

  it("shows the state of every self-monitoring alarm", () => {
    const { widgets } = JSON.parse(plan.dashboard.body) as {
      widgets: { type: string; properties: { alarms?: string[] } }[];
    };

    expect(widgets.filter((w) => w.type === "alarm").flatMap((w) => w.properties.alarms)).toEqual(
      plan.alarms.map((a) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${a.name}`),
    );
  });
});
