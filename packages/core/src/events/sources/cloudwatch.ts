import * as z from "zod";
import { name, text } from "../bounds.ts";

/**
 * "CloudWatch Alarm State Change", as documented in
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html.
 * One detail shape covers metric, metric-math, anomaly-detection and composite alarms; they
 * differ only in `configuration`.
 */

const AlarmStateValue = z.enum(["OK", "ALARM", "INSUFFICIENT_DATA"]);

// Bounds from https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html and
// API_CompositeAlarm.html: AlarmName 1–255, StateReason 0–1023, StateReasonData 0–4000, AlarmDescription 0–1024,
// AlarmRule 1–10240, ActionsSuppressor 1–1600; API_MetricDataQuery.html: Id 1–255, Expression 1–2048, Label;
// API_Metric.html: Namespace and MetricName 1–255; API_Dimension.html: Name 1–255, Value 1–1024.
const AlarmState = z.looseObject({
  value: AlarmStateValue,
  timestamp: name(64),
  reason: text(1023).optional(),
  // A JSON document serialised as a string, as AWS sends it.
  reasonData: text(4000).optional(),
  // Set on a composite alarm whose actions a suppressor alarm is holding back ("muted").
  actionsSuppressedBy: z.enum(["Alarm", "ExtensionPeriod", "WaitPeriod"]).optional(),
  actionsSuppressedReason: text(1023).optional(),
});

const MetricDataQuery = z
  .looseObject({
    id: name(255),
    metricStat: z
      .looseObject({
        metric: z.looseObject({
          namespace: name(255),
          name: name(255),
          dimensions: z.record(name(255), text(1024)).optional(),
        }),
        period: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
        stat: name(64),
        unit: text(64).optional(),
      })
      .optional(),
    expression: name(2048).optional(),
    label: text(2048).optional(),
    returnData: z.boolean().optional(),
  })
  .refine((query) => query.metricStat !== undefined || query.expression !== undefined, {
    message: "a metric query needs either metricStat (a metric) or expression (metric math)",
  });

const AlarmConfiguration = z
  .looseObject({
    description: text(1024).optional(),
    // Metric, metric-math and anomaly-detection alarms.
    metrics: z.array(MetricDataQuery).min(1).max(500).optional(),
    // Composite alarms.
    alarmRule: name(10240).optional(),
    actionsSuppressor: text(1600).optional(),
    actionsSuppressorWaitPeriod: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    actionsSuppressorExtensionPeriod: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .refine((configuration) => configuration.metrics !== undefined || configuration.alarmRule !== undefined, {
    message: "expected metrics (a metric alarm) or alarmRule (a composite alarm)",
  });

export const AlarmStateChangeDetail = z.looseObject({
  alarmName: name(255),
  state: AlarmState,
  previousState: AlarmState,
  configuration: AlarmConfiguration,
});
export type AlarmStateChangeDetail = z.infer<typeof AlarmStateChangeDetail>;
