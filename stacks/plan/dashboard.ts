import type { AlarmPlan } from "./alarms.ts";
import type { FunctionPlan } from "./functions.ts";
import type { Names } from "./names.ts";
import type { DeadLetterQueuePlan } from "./rules.ts";

/**
 * The stack's CloudWatch dashboard, drawn only from metrics that exist: what the functions count
 * (Powertools Metrics in the functions' runtime, as EMF: namespace "Switchyard", dimensions
 * service and reaction, one `outcome_<outcome>` or `events_rejected` count per event), what
 * Lambda and SQS publish for the planned functions and queue, and the planned alarms.
 * Body syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export interface DashboardPlan {
  /** PutDashboard: up to 255 of A-Z, a-z, 0-9, "-" and "_" (app and stage names are within them). */
  name: string;
  /** The DashboardBody PutDashboard takes: JSON text. */
  body: string;
}

/** One line of a graph: a metric and how to read it. */
export interface DashboardMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  stat: "Sum" | "Maximum";
  label: string;
}

/** The namespace and service the functions' Powertools Metrics publish under. */
export const SWITCHYARD_METRICS = { namespace: "Switchyard", service: "switchyard" } as const;

/** A count the functions emit for a reaction: `outcome_<outcome>`, or `events_rejected`. */
const counted = (reaction: string, metricName: string, label: string): DashboardMetric => ({
  namespace: SWITCHYARD_METRICS.namespace,
  metricName,
  dimensions: { service: SWITCHYARD_METRICS.service, reaction },
  stat: "Sum",
  label,
});
const outcome = (reaction: string, outcomeName: string, label = `${reaction} ${outcomeName}`) =>
  counted(reaction, `outcome_${outcomeName}`, label);

/** The reactions whose events go through the bus handler chain, which counts each rejection. */
const BUS_REACTIONS = [
  "deploy",
  "scan-result",
  "deploy-watch",
  "rollback",
  "cost",
  "rotate-on-leak",
  "failover",
  // Scheduled too: the stuck-rotation sweep rejects a malformed Scheduled Event like a bus event.
  "secrets-stuck",
];

/** Reaction outcomes worth a graph: what Switchyard did, next to what it declined to do. */
const REACTION_PANELS: { title: string; metrics: DashboardMetric[] }[] = [
  {
    title: "Deploys",
    metrics: [
      outcome("deploy", "started", "started"),
      outcome("deploy", "duplicate", "duplicate delivery"),
      outcome("deploy", "paused", "held: automation paused"),
    ],
  },
  {
    title: "Rollbacks",
    metrics: [
      outcome("rollback", "rolled-back", "rolled back"),
      outcome("rollback", "no-action", "alarm with nothing to roll back"),
    ],
  },
  {
    title: "Cost responses",
    metrics: [
      outcome("cost", "started", "response started"),
      outcome("cost", "escalated", "escalated to a higher tier"),
    ],
  },
  { title: "Failovers", metrics: [outcome("failover", "started", "started")] },
];

const PERIOD_SECONDS = 300;
const WIDTH = 12;
const HEIGHT = 6;
const ALARMS_PER_WIDGET = 100;

type MetricWidget = {
  type: "metric";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: "timeSeries";
    stacked: false;
    period: number;
    metrics: (string | { stat: string; label: string })[][];
  };
};
type AlarmWidget = {
  type: "alarm";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; alarms: string[] };
};

/**
 * Reaction outcomes, rotations, rejected events, the dead-letter queue's depth and every
 * function's errors, with the self-monitoring alarms' states on top.
 */
export function planDashboard(
  n: Names,
  plan: {
    deadLetterQueue: DeadLetterQueuePlan;
    functions: readonly FunctionPlan[];
    alarms: readonly AlarmPlan[];
  },
): DashboardPlan {
  const rotate = plan.functions.find((f) => f.name === "rotate");
  const panels: { title: string; metrics: DashboardMetric[] }[] = [
    ...REACTION_PANELS,
    {
      title: "Rotations",
      metrics: [
        outcome("rotate-on-leak", "started", "rotation on a leak started"),
        // Secrets Manager invokes the rotation function once per step, four steps a rotation.
        ...(rotate
          ? [
              {
                namespace: "AWS/Lambda",
                metricName: "Invocations",
                dimensions: { FunctionName: rotate.functionName },
                stat: "Sum" as const,
                label: "rotation steps run",
              },
            ]
          : []),
      ],
    },
    {
      title: "Rejected events (sent to the dead-letter queue)",
      metrics: BUS_REACTIONS.map((r) => counted(r, "events_rejected", r)),
    },
    {
      title: "Dead letters waiting",
      metrics: [
        {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: plan.deadLetterQueue.name },
          stat: "Maximum",
          label: plan.deadLetterQueue.name,
        },
      ],
    },
    {
      title: "Function errors",
      metrics: plan.functions.map((f) => ({
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: f.functionName },
        stat: "Sum" as const,
        label: f.name,
      })),
    },
  ];
  // An alarm status widget shows 1 to 100 alarms (Dashboard Body Structure, alarm widget).
  const alarmArns = plan.alarms.map((a) => n.arn("cloudwatch", `alarm:${a.name}`));
  const alarms: AlarmWidget[] = Array.from(
    { length: Math.ceil(alarmArns.length / ALARMS_PER_WIDGET) },
    (_, i) => ({
      type: "alarm",
      x: 0,
      y: i * HEIGHT,
      width: 2 * WIDTH,
      height: HEIGHT,
      properties: {
        title: "Self-monitoring alarms",
        alarms: alarmArns.slice(i * ALARMS_PER_WIDGET, (i + 1) * ALARMS_PER_WIDGET),
      },
    }),
  );
  const graphs: MetricWidget[] = panels.map((panel, i) => ({
    type: "metric",
    x: (i % 2) * WIDTH,
    y: HEIGHT * (alarms.length + Math.floor(i / 2)),
    width: WIDTH,
    height: HEIGHT,
    properties: {
      title: panel.title,
      region: n.region,
      view: "timeSeries",
      stacked: false,
      period: PERIOD_SECONDS,
      // [Namespace, MetricName, DimensionName, DimensionValue, ..., {rendering}]
      metrics: panel.metrics.map((m) => [
        m.namespace,
        m.metricName,
        ...Object.entries(m.dimensions).flat(),
        { stat: m.stat, label: m.label },
      ]),
    },
  }));
  return { name: n.dashboardName, body: JSON.stringify({ widgets: [...alarms, ...graphs] }) };
}
