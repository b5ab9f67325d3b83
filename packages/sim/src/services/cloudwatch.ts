import { fail } from "../errors.ts";
import type { Kernel, MetricSource } from "../kernel.ts";
import { evaluateMetricMath, type MetricDatum, statisticOf } from "./metric-math.ts";

type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

interface AlarmRecord {
  region: string;
  AlarmName: string;
  AlarmArn: string;
  kind: "metric" | "composite";
  AlarmDescription?: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: string }[];
  AlarmRule?: string;
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: Date;
  /** A composite alarm's actions suppressor, and its wait and extension periods in seconds. */
  ActionsSuppressor?: string;
  ActionsSuppressorWaitPeriod?: number;
  ActionsSuppressorExtensionPeriod?: number;
  /** When this alarm last left ALARM (a suppressor's extension period runs from then). */
  leftAlarmAt?: Date;
  /** A metric alarm made by PutMetricAlarm: how it evaluates the datapoints recorded here. */
  evaluation?: {
    statistic: string;
    period: number;
    evaluationPeriods: number;
    threshold: number;
    comparison: string;
  };
  /** A metric-math alarm's queries, as PutMetricAlarm's Metrics (`seedMetricMathAlarm`). */
  Metrics?: MetricDataQueryInput[];
}

/** One MetricDataQuery of PutMetricAlarm's Metrics (API shape, capitalised). */
interface MetricDataQueryInput {
  Id: string;
  Expression?: string;
  Label?: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
    Period: number;
    Stat: string;
  };
  ReturnData?: boolean;
}

const STATES = new Set(["OK", "ALARM", "INSUFFICIENT_DATA"]);

/** CloudWatch's timestamp format in alarm state change events: 2019-10-02T17:04:40.985+0000. */
function eventTimestamp(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

/**
 * CloudWatch alarms: state, and the "CloudWatch Alarm State Change" event on the default bus
 * whenever an alarm's state changes (as AWS emits it; no event when the state stays the same).
 * Metric data comes from the services that publish it: each registers a `MetricSource` for its
 * metrics (RDS: AWS/RDS ReplicaLag), which GetMetricStatistics asks. Alarms and metrics are
 * regional: a client sees the alarms of its region, and a source answers for the region asked
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html, "Regions").
 */
export class CloudWatchService {
  readonly #kernel: Kernel;
  /** By `region/name`. */
  readonly #alarms = new Map<string, AlarmRecord>();
  /** Metric sources by `namespace metricName`. */
  readonly #sources = new Map<string, MetricSource>();
  /** Datapoints recorded here (`recordLambdaInvocations`), by region. */
  readonly #data: (MetricDatum & { region: string })[] = [];

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /** A service publishes a metric: GetMetricStatistics for it is answered from `source`. */
  registerMetricSource(source: MetricSource): void {
    const key = `${source.namespace} ${source.metricName}`;
    if (this.#sources.has(key)) throw new Error(`a metric source for ${key} is already registered`);
    this.#sources.set(key, source);
  }

  seedAlarm(
    name: string,
    state: AlarmState = "OK",
    options: {
      composite?: boolean;
      description?: string;
      region?: string;
      /** A composite alarm's actions suppressor (an alarm name), with its periods in seconds. */
      suppressor?: { alarm: string; waitSeconds: number; extensionSeconds: number };
    } = {},
  ): void {
    const region = options.region ?? this.#kernel.region;
    if (this.#alarms.has(`${region}/${name}`)) return;
    this.#alarms.set(`${region}/${name}`, {
      region,
      AlarmName: name,
      AlarmArn: this.#kernel.arn("cloudwatch", `alarm:${name}`, region),
      kind: options.composite ? "composite" : "metric",
      ...(options.description ? { AlarmDescription: options.description } : {}),
      ...(options.composite
        ? {
            AlarmRule: `ALARM("${name}-signal")`,
            ...(options.suppressor
              ? {
                  ActionsSuppressor: options.suppressor.alarm,
                  ActionsSuppressorWaitPeriod: options.suppressor.waitSeconds,
                  ActionsSuppressorExtensionPeriod: options.suppressor.extensionSeconds,
                }
              : {}),
          }
        : {
            MetricName: "Errors",
            Namespace: "AWS/Lambda",
            Dimensions: [{ Name: "FunctionName", Value: name }],
          }),
      StateValue: state,
      StateReason: "Seeded by the simulated account",
      StateUpdatedTimestamp: this.#kernel.clock.date(),
    });
  }

  /**
   * A metric-math alarm as a stack creates it (PutMetricAlarm with Metrics), in
   * INSUFFICIENT_DATA until evaluated; its state change events carry the queries in
   * `configuration.metrics`, in the event's lower-case shape.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
   */
  seedMetricMathAlarm(definition: {
    AlarmName: string;
    AlarmDescription?: string;
    Metrics: readonly MetricDataQueryInput[];
  }): void {
    const region = this.#kernel.region;
    const key = `${region}/${definition.AlarmName}`;
    if (this.#alarms.has(key)) return;
    this.#alarms.set(key, {
      region,
      AlarmName: definition.AlarmName,
      AlarmArn: this.#kernel.arn("cloudwatch", `alarm:${definition.AlarmName}`, region),
      kind: "metric",
      ...(definition.AlarmDescription ? { AlarmDescription: definition.AlarmDescription } : {}),
      Metrics: definition.Metrics.map((m) => ({ ...m })),
      StateValue: "INSUFFICIENT_DATA",
      StateReason: "Unchecked: Initial alarm creation",
      StateUpdatedTimestamp: this.#kernel.clock.date(),
    });
  }

  /** A metric-math alarm's queries as its state change event shows them. */
  #metricMathConfiguration(metrics: readonly MetricDataQueryInput[]) {
    return metrics.map((m) => ({
      id: m.Id,
      ...(m.Expression ? { expression: m.Expression } : {}),
      ...(m.Label ? { label: m.Label } : {}),
      ...(m.MetricStat
        ? {
            metricStat: {
              metric: {
                dimensions: Object.fromEntries(
                  (m.MetricStat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]),
                ),
                name: m.MetricStat.Metric.MetricName,
                namespace: m.MetricStat.Metric.Namespace,
              },
              period: m.MetricStat.Period,
              stat: m.MetricStat.Stat,
            },
          }
        : {}),
      returnData: m.ReturnData ?? true,
    }));
  }

  /** Deletes an alarm (as DeleteAlarms would), for tests of alarms that disappear. */
  deleteAlarm(name: string, region = this.#kernel.region): void {
    this.#alarms.delete(`${region}/${name}`);
  }

  /** Sets an alarm's state as observed elsewhere (a replayed event), without emitting an event. */
  observeState(name: string, value: string, region = this.#kernel.region): void {
    const alarm = this.#alarms.get(`${region}/${name}`);
    if (!alarm || !STATES.has(value)) return;
    if (alarm.StateValue === "ALARM" && value !== "ALARM") alarm.leftAlarmAt = this.#kernel.clock.date();
    alarm.StateValue = value as AlarmState;
    alarm.StateReason = "Observed in a replayed event";
    alarm.StateUpdatedTimestamp = this.#kernel.clock.date();
  }

  /**
   * Invocations of a function through an alias that ran `version`, as Lambda publishes them to
   * AWS/Lambda: Invocations, Errors and Duration (one sample per invocation) under the
   * dimensions FunctionName; FunctionName + Resource ("function:alias"); and FunctionName +
   * Resource + ExecutedVersion, the version the alias resolved to.
   * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
   * The metric source tests and scenarios drive; metric alarms on these metrics are evaluated
   * at once (`#evaluateAlarms`), so an alarm on the new version goes to ALARM from this traffic.
   */
  recordLambdaInvocations(traffic: {
    functionName: string;
    alias: string;
    version: string;
    count: number;
    errors?: number;
    durationMs?: number;
    region?: string;
  }): void {
    const region = traffic.region ?? this.#kernel.region;
    const timestamp = this.#kernel.clock.now();
    const base = { FunctionName: traffic.functionName };
    const resource = { ...base, Resource: `${traffic.functionName}:${traffic.alias}` };
    const versioned = { ...resource, ExecutedVersion: traffic.version };
    const durations = Array.from({ length: traffic.count }, () => traffic.durationMs ?? 100);
    for (const dimensions of [base, resource, versioned]) {
      const datum = (metricName: string, values: number[], unit: string) =>
        this.#data.push({ region, namespace: "AWS/Lambda", metricName, dimensions, timestamp, values, unit });
      datum("Invocations", [traffic.count], "Count");
      datum("Errors", [traffic.errors ?? 0], "Count");
      datum("Duration", durations, "Milliseconds");
    }
    this.#evaluateAlarms(region);
  }

  stateOf(name: string, region = this.#kernel.region): AlarmState | undefined {
    return this.#alarms.get(`${region}/${name}`)?.StateValue;
  }

  /**
   * DescribeAlarms is authorized on each alarm named (on "*" when none is named); metric reads
   * support no resource-level permissions (Service Authorization Reference, Amazon CloudWatch).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const names =
      action === "DescribeAlarms" || action === "DeleteAlarms"
        ? ((input.AlarmNames ?? []) as string[])
        : action === "PutMetricAlarm"
          ? [String(input.AlarmName ?? "")]
          : [];
    return names.length > 0 ? names.map((n) => this.#kernel.arn("cloudwatch", `alarm:${n}`)) : ["*"];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "DescribeAlarms":
        return this.#describe(input);
      case "SetAlarmState":
        return this.#setState(input);
      case "PutMetricAlarm":
        return this.#putMetricAlarm(input);
      case "GetMetricStatistics":
        return this.#metricStatistics(input);
      case "GetMetricData":
        return this.#metricData(input);
      case "DeleteAlarms":
        return this.#deleteAlarms(input);
      default:
        return fail("InvalidAction", `the simulated CloudWatch does not implement ${action}`);
    }
  }

  /**
   * DescribeAlarms answers metric alarms only, unless AlarmTypes asks for composite alarms: "If you
   * omit this parameter, only metric alarms are returned, even if composite alarms exist in the
   * account." https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
   */
  #describe(input: Record<string, unknown>): unknown {
    const names = input.AlarmNames as string[] | undefined;
    const types = (input.AlarmTypes as string[] | undefined) ?? ["MetricAlarm"];
    const region = this.#kernel.clientRegion();
    const selected = [...this.#alarms.values()].filter(
      (a) =>
        a.region === region &&
        (!names || names.includes(a.AlarmName)) &&
        (input.StateValue === undefined || a.StateValue === input.StateValue),
    );
    const out = (a: AlarmRecord) => {
      const { kind: _kind, region: _region, leftAlarmAt: _left, evaluation: _evaluation, ...rest } = a;
      const suppressedBy = a.kind === "composite" ? this.#suppressedBy(a) : undefined;
      return suppressedBy
        ? {
            ...rest,
            ActionsSuppressedBy: suppressedBy,
            ActionsSuppressedReason: `Actions suppressed by ${suppressedBy}`,
          }
        : rest;
    };
    return {
      MetricAlarms: types.includes("MetricAlarm") ? selected.filter((a) => a.kind === "metric").map(out) : [],
      CompositeAlarms: types.includes("CompositeAlarm")
        ? selected.filter((a) => a.kind === "composite").map(out)
        : [],
    };
  }

  /**
   * Why a composite alarm in ALARM has its actions held back now, if it does: its suppressor is
   * in ALARM ("Alarm"), left ALARM less than the extension period ago ("ExtensionPeriod"), or
   * the composite went to ALARM less than the wait period ago while the suppressor was not in
   * ALARM ("WaitPeriod"); after those periods the composite performs its actions.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_CompositeAlarm.html
   */
  #suppressedBy(alarm: AlarmRecord): "Alarm" | "ExtensionPeriod" | "WaitPeriod" | undefined {
    if (alarm.StateValue !== "ALARM" || !alarm.ActionsSuppressor) return undefined;
    const suppressor = this.#alarms.get(`${alarm.region}/${alarm.ActionsSuppressor}`);
    if (suppressor?.StateValue === "ALARM") return "Alarm";
    const now = this.#kernel.clock.now();
    const left = suppressor?.leftAlarmAt?.getTime();
    if (left !== undefined && now - left < (alarm.ActionsSuppressorExtensionPeriod ?? 0) * 1000)
      return "ExtensionPeriod";
    const since = alarm.StateUpdatedTimestamp.getTime();
    if ((left === undefined || left < since) && now - since < (alarm.ActionsSuppressorWaitPeriod ?? 0) * 1000)
      return "WaitPeriod";
    return undefined;
  }

  /**
   * The latest sample of a registered metric as one datapoint (every statistic asked is that
   * value), or no datapoints when the source has no data for the dimensions.
   */
  #metricStatistics(input: Record<string, unknown>): unknown {
    const source = this.#sources.get(`${String(input.Namespace)} ${String(input.MetricName)}`);
    if (!source)
      return fail("InvalidAction", "the simulated CloudWatch does not implement GetMetricStatistics");
    const dimensions: Record<string, string> = {};
    for (const d of (input.Dimensions ?? []) as { Name?: string; Value?: string }[])
      if (d.Name !== undefined && d.Value !== undefined && !Object.hasOwn(dimensions, d.Name))
        dimensions[d.Name] = d.Value;
    const sample = source.sample(dimensions);
    return {
      Label: source.metricName,
      Datapoints: sample
        ? [
            {
              Timestamp: this.#kernel.clock.date(),
              Maximum: sample.value,
              Average: sample.value,
              Unit: sample.unit,
            },
          ]
        : [],
    };
  }

  #putMetricAlarm(input: Record<string, unknown>): unknown {
    const name = String(input.AlarmName ?? "");
    if (!name) return fail("ValidationError", "AlarmName is required");
    const region = this.#kernel.clientRegion();
    const existing = this.#alarms.get(`${region}/${name}`);
    this.#alarms.set(`${region}/${name}`, {
      region,
      AlarmName: name,
      AlarmArn: this.#kernel.arn("cloudwatch", `alarm:${name}`, region),
      kind: "metric",
      ...(input.MetricName ? { MetricName: String(input.MetricName) } : {}),
      ...(input.Namespace ? { Namespace: String(input.Namespace) } : {}),
      ...(Array.isArray(input.Dimensions)
        ? { Dimensions: (input.Dimensions as { Name: string; Value: string }[]).map((d) => ({ ...d })) }
        : {}),
      ...(input.Statistic || input.ExtendedStatistic
        ? {
            evaluation: {
              statistic: String(input.Statistic ?? input.ExtendedStatistic),
              period: Number(input.Period ?? 60),
              evaluationPeriods: Number(input.EvaluationPeriods ?? 1),
              threshold: Number(input.Threshold ?? 0),
              comparison: String(input.ComparisonOperator ?? "GreaterThanOrEqualToThreshold"),
            },
          }
        : {}),
      // A new alarm starts in INSUFFICIENT_DATA until its metric is evaluated, as in AWS.
      StateValue: existing?.StateValue ?? "INSUFFICIENT_DATA",
      StateReason: existing?.StateReason ?? "Unchecked: Initial alarm creation",
      StateUpdatedTimestamp: existing?.StateUpdatedTimestamp ?? this.#kernel.clock.date(),
    });
    return {};
  }

  /**
   * DeleteAlarms: every named alarm must exist ("ResourceNotFound" otherwise, nothing deleted).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
   */
  #deleteAlarms(input: Record<string, unknown>): unknown {
    const region = this.#kernel.clientRegion();
    const names = (input.AlarmNames ?? []) as string[];
    const missing = names.filter((n) => !this.#alarms.has(`${region}/${n}`));
    if (missing.length > 0) return fail("ResourceNotFound", `Alarm(s) ${missing.join(", ")} do not exist.`);
    for (const n of names) this.#alarms.delete(`${region}/${n}`);
    return {};
  }

  /**
   * GetMetricData over the datapoints recorded here: each MetricStat query aggregates its metric
   * (exact dimension set) per Period from StartTime to EndTime with its Stat; each Expression
   * query is metric math over the other queries' values, point by point (metric-math.ts says
   * which operators and functions). Only ReturnData queries are answered (default true).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
   */
  #metricData(input: Record<string, unknown>): unknown {
    const region = this.#kernel.clientRegion();
    const queries = (input.MetricDataQueries ?? []) as {
      Id: string;
      Expression?: string;
      ReturnData?: boolean;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
        Period: number;
        Stat: string;
      };
    }[];
    const start = new Date(input.StartTime as string | Date).getTime();
    const end = new Date(input.EndTime as string | Date).getTime();
    const series = new Map<string, Map<number, number>>();
    for (const q of queries) {
      if (!q.MetricStat) continue;
      const { Metric, Period, Stat } = q.MetricStat;
      const dims = Object.fromEntries((Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const points = new Map<number, number>();
      for (let from = start; from < end; from += Period * 1000) {
        const values = this.#samples(region, Metric, dims, from, Math.min(from + Period * 1000, end));
        const value = statisticOf(Stat, values);
        if (value !== undefined) points.set(from, value);
      }
      series.set(q.Id, points);
    }
    for (const q of queries) {
      if (q.Expression === undefined) continue;
      const out = evaluateMetricMath(q.Expression, series);
      if (typeof out === "string") return fail("ValidationError", `${q.Id}: ${out}`);
      series.set(q.Id, out);
    }
    return {
      MetricDataResults: queries
        .filter((q) => q.ReturnData !== false)
        .map((q) => {
          const points = [...(series.get(q.Id) ?? new Map()).entries()].sort((a, b) => b[0] - a[0]);
          return {
            Id: q.Id,
            Label: q.Id,
            Timestamps: points.map(([t]) => new Date(t)),
            Values: points.map(([, v]) => v),
            StatusCode: "Complete",
          };
        }),
      Messages: [],
    };
  }

  /**
   * Metric alarms made by PutMetricAlarm on metrics recorded here: ALARM when each of the last
   * EvaluationPeriods periods breaches the threshold, OK when one has data and does not, else
   * the state stays. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
   */
  #evaluateAlarms(region: string): void {
    const now = this.#kernel.clock.now();
    for (const alarm of this.#alarms.values()) {
      const e = alarm.evaluation;
      if (alarm.region !== region || !e || !alarm.MetricName) continue;
      const dims = Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const verdicts: boolean[] = [];
      for (let i = 0; i < e.evaluationPeriods; i++) {
        // The period ending now (inclusive), then the ones before it.
        const to = now - i * e.period * 1000 + 1;
        const metric = { Namespace: String(alarm.Namespace), MetricName: alarm.MetricName };
        const values = this.#samples(region, metric, dims, to - e.period * 1000, to);
        const value = statisticOf(e.statistic, values);
        if (value !== undefined) verdicts.push(breaches(e.comparison, value, e.threshold));
      }
      if (verdicts.length === 0) continue;
      const next: AlarmState =
        verdicts.length === e.evaluationPeriods && verdicts.every(Boolean) ? "ALARM" : "OK";
      if (next === alarm.StateValue) continue;
      const previous = { ...alarm };
      if (alarm.StateValue === "ALARM") alarm.leftAlarmAt = this.#kernel.clock.date();
      alarm.StateValue = next;
      alarm.StateReason = `Threshold Crossed: ${e.statistic} ${next === "ALARM" ? "breached" : "within"} ${e.comparison} ${e.threshold}`;
      alarm.StateUpdatedTimestamp = this.#kernel.clock.date();
      this.#emit(alarm, previous);
    }
  }

  /** The samples recorded for one metric (its exact dimensions) with a timestamp in [from, to). */
  #samples(
    region: string,
    metric: { Namespace: string; MetricName: string },
    dims: Readonly<Record<string, string>>,
    from: number,
    to: number,
  ): number[] {
    return this.#data
      .filter(
        (d) =>
          d.region === region &&
          d.namespace === metric.Namespace &&
          d.metricName === metric.MetricName &&
          d.timestamp >= from &&
          d.timestamp < to &&
          sameDimensions(d.dimensions, dims),
      )
      .flatMap((d) => d.values);
  }

  #setState(input: Record<string, unknown>): unknown {
    const name = String(input.AlarmName ?? "");
    const alarm = this.#alarms.get(`${this.#kernel.clientRegion()}/${name}`);
    if (!alarm) return fail("ResourceNotFound", `Alarm ${name} does not exist.`);
    const value = String(input.StateValue);
    if (!STATES.has(value)) {
      return fail(
        "InvalidParameterValue",
        `StateValue must be one of OK, ALARM, INSUFFICIENT_DATA; got ${value}`,
      );
    }
    const previous = { ...alarm };
    if (alarm.StateValue === "ALARM" && value !== "ALARM") alarm.leftAlarmAt = this.#kernel.clock.date();
    alarm.StateValue = value as AlarmState;
    alarm.StateReason = String(input.StateReason ?? "");
    if (input.StateReasonData !== undefined) alarm.StateReasonData = String(input.StateReasonData);
    alarm.StateUpdatedTimestamp = this.#kernel.clock.date();
    if (previous.StateValue !== alarm.StateValue) this.#emit(alarm, previous);
    return {};
  }

  #emit(alarm: AlarmRecord, previous: AlarmRecord): void {
    const configuration =
      alarm.kind === "composite"
        ? {
            alarmRule: alarm.AlarmRule,
            ...(alarm.AlarmDescription ? { description: alarm.AlarmDescription } : {}),
          }
        : {
            ...(alarm.AlarmDescription ? { description: alarm.AlarmDescription } : {}),
            metrics: [
              {
                id: "m1",
                metricStat: {
                  metric: {
                    dimensions: Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value])),
                    name: alarm.MetricName,
                    namespace: alarm.Namespace,
                  },
                  period: 60,
                  stat: "Sum",
                },
                returnData: true,
              },
            ],
          };
    // A metric-math alarm's event shows its queries (seedMetricMathAlarm).
    if (alarm.Metrics)
      Object.assign(configuration, { metrics: this.#metricMathConfiguration(alarm.Metrics) });
    const state = (a: AlarmRecord) => ({
      value: a.StateValue,
      reason: a.StateReason,
      ...(a.StateReasonData ? { reasonData: a.StateReasonData } : {}),
      timestamp: eventTimestamp(a.StateUpdatedTimestamp),
    });
    this.#kernel.emit({
      source: "aws.cloudwatch",
      "detail-type": "CloudWatch Alarm State Change",
      resources: [alarm.AlarmArn],
      detail: {
        alarmName: alarm.AlarmName,
        state: state(alarm),
        previousState: state(previous),
        configuration,
      },
    });
  }
}

/** CloudWatch keeps each combination of dimensions as its own metric: the sets must be equal. */
function sameDimensions(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function breaches(comparison: string, value: number, threshold: number): boolean {
  switch (comparison) {
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
    default:
      return value >= threshold;
  }
}
