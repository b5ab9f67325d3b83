import * as z from "zod";

/**
 * "CloudWatch Alarm State Change", as documented in
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html.
 * One detail shape covers metric, metric-math, anomaly-detection and composite alarms; they
 * differ only in `configuration`.
 */

const AlarmStateValue = z.enum(["OK", "ALARM", "INSUFFICIENT_DATA"]);

const AlarmState = z.looseObject({
  value: AlarmStateValue,
  timestamp: z.string().min(1),
  reason: z.string().optional(),
  // A JSON document serialised as a string, as AWS sends it.
  reasonData: z.string().optional(),
  // Set on a composite alarm whose actions a suppressor alarm is holding back ("muted").
  actionsSuppressedBy: z.enum(["Alarm", "ExtensionPeriod", "WaitPeriod"]).optional(),
  actionsSuppressedReason: z.string().optional(),
});

const MetricDataQuery = z
  .looseObject({
    id: z.string().min(1),
    metricStat: z
      .looseObject({
        metric: z.looseObject({
          namespace: z.string().min(1),
          name: z.string().min(1),
          dimensions: z.record(z.string(), z.string()).optional(),
        }),
        period: z.number().int().positive(),
        stat: z.string().min(1),
        unit: z.string().optional(),
      })
      .optional(),
    expression: z.string().min(1).optional(),
    label: z.string().optional(),
    returnData: z.boolean().optional(),
  })
  .refine((query) => query.metricStat !== undefined || query.expression !== undefined, {
    message: "a metric query needs either metricStat (a metric) or expression (metric math)",
  });

const AlarmConfiguration = z
  .looseObject({
    description: z.string().optional(),
    // Metric, metric-math and anomaly-detection alarms.
    metrics: z.array(MetricDataQuery).min(1).optional(),
    // Composite alarms.
    alarmRule: z.string().min(1).optional(),
    actionsSuppressor: z.string().optional(),
    actionsSuppressorWaitPeriod: z.number().int().nonnegative().optional(),
    actionsSuppressorExtensionPeriod: z.number().int().nonnegative().optional(),
  })
  .refine((configuration) => configuration.metrics !== undefined || configuration.alarmRule !== undefined, {
    message: "expected metrics (a metric alarm) or alarmRule (a composite alarm)",
  });

export const AlarmStateChangeDetail = z.looseObject({
  alarmName: z.string().min(1),
  state: AlarmState,
  previousState: AlarmState,
  configuration: AlarmConfiguration,
});
export type AlarmStateChangeDetail = z.infer<typeof AlarmStateChangeDetail>;
