import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import { type AuditRecord, listAudit, type StateStore } from "../store/state.ts";
import type { DeployInput } from "./input.ts";
import type { StepKit } from "./steps.ts";

/**
 * Analysis of the new version (issue #12, ADR 0026), in the manner of Flagger's metric checks
 * and Argo Rollouts' AnalysisTemplates: before each step after the first (once the new version
 * has had traffic), every metric is read for the new version alone — the AWS/Lambda metrics
 * under FunctionName, Resource "function:alias" and ExecutedVersion — over the last `window`,
 * with one GetMetricData call, and compared with its bound. A failed check holds the step (it is
 * checked again after the hold interval); `failureLimit` failed checks roll the deployment back.
 * Every result is audited ("analysis") and `switchyard status` shows the last ones. It runs in
 * the guarded shift Task: no state transition of its own.
 */

type Run = NonNullable<Deployment["analysis"]>;
/** A check's metrics by id, as the config writes them. */
type MetricRefs = NonNullable<Run["metrics"][number]["metrics"]>;

/** The deploy input's field (self-contained: a console replay analyses the same way). */
export function analysisInput(analysis: Deployment["analysis"]): { analysis?: Run } {
  return analysis ? { analysis } : {};
}

const BUILT_IN: Record<"errorRate" | "p99Duration", { expression: string; metrics: MetricRefs }> = {
  errorRate: {
    expression: "errors / invocations",
    metrics: {
      errors: { metric: "Errors", stat: "Sum" },
      invocations: { metric: "Invocations", stat: "Sum" },
    },
  },
  p99Duration: { expression: "p99", metrics: { p99: { metric: "Duration", stat: "p99" } } },
};

/** One check's result, as audited and shown. */
export interface AnalysisResult {
  metric: string;
  value: number | null;
  bound: string;
  passed: boolean | null;
}

/**
 * The analysis before this step: null without analysis, or before the first step (no traffic
 * has reached the new version yet); otherwise ok, hold (a failed check under the limit) or
 * alarm (the limit reached: roll back). The failed-check count rides in the shift's result
 * (`$.shift.value.analysisFailures`), so a redrive or a replay counts from where it was.
 */
export async function analyseBeforeStep(
  deps: CoreDeps,
  input: DeployInput,
  step: StepKit,
): Promise<{ verdict: "ok" | "hold" | "alarm"; reason: string; analysisFailures: number } | null> {
  const run = (input as { analysis?: Run }).analysis;
  if (!run || input.progress.index === 0) return null;
  const record = await step.owned();
  const before = Number(
    (input as { shift?: { value?: { analysisFailures?: unknown } } }).shift?.value?.analysisFailures ?? 0,
  );
  const results = await measure(deps, input, run, record.newVersion);
  const failed = results.filter((r) => r.passed === false);
  const failures = before + (failed.length > 0 ? 1 : 0);
  const summary = results
    .map(
      (r) =>
        `${r.metric}=${r.value === null ? "no data" : round(r.value)} (${r.bound})${r.passed === false ? " FAILED" : ""}`,
    )
    .join(", ");
  const stepNo = input.progress.index + 1;
  await step.audit(
    failed.length > 0 ? "analysis-failed" : "analysis-passed",
    `analysis of version ${record.newVersion} before step ${stepNo}: ${summary}; failed checks ${failures} of ${run.failureLimit}`,
    { results, failures, failureLimit: run.failureLimit, version: record.newVersion, step: stepNo },
  );
  if (failed.length === 0)
    return { verdict: "ok", reason: `analysis passed: ${summary}`, analysisFailures: failures };
  const what = failed.map((r) => `${r.metric}=${round(r.value ?? 0)} (${r.bound})`).join(", ");
  if (failures >= run.failureLimit)
    return {
      verdict: "alarm",
      reason: `analysis failed ${failures} of ${run.failureLimit} allowed checks: ${what} on version ${record.newVersion}`,
      analysisFailures: failures,
    };
  return {
    verdict: "hold",
    reason: `held: analysis failed (${failures} of ${run.failureLimit}): ${what}`,
    analysisFailures: failures,
  };
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * Reads every metric of the analysis for the version with one GetMetricData call: a MetricStat
 * query per id (not returned) and one expression per analysis metric.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 */
async function measure(
  deps: CoreDeps,
  input: DeployInput,
  run: Run,
  version: string,
): Promise<AnalysisResult[]> {
  const dimensions = [
    { Name: "FunctionName", Value: input.functionName },
    { Name: "Resource", Value: `${input.functionName}:${input.alias}` },
    { Name: "ExecutedVersion", Value: version },
  ];
  const queries: MetricDataQuery[] = [];
  run.metrics.forEach((m, i) => {
    const query = m.kind ? BUILT_IN[m.kind] : { expression: String(m.expression), metrics: m.metrics ?? {} };
    // Ids are unique per call: each metric's own ids carry its index.
    let expression = query.expression;
    for (const [id, ref] of Object.entries(query.metrics)) {
      const unique = `m${i}_${id}`;
      expression = expression.replace(new RegExp(`\\b${id}\\b`, "g"), unique);
      queries.push({
        Id: unique,
        MetricStat: {
          Metric: { Namespace: "AWS/Lambda", MetricName: ref.metric, Dimensions: dimensions },
          Period: run.window,
          Stat: ref.stat,
        },
        ReturnData: false,
      });
    }
    queries.push({ Id: `a${i}`, Expression: expression, Label: m.name, ReturnData: true });
  });
  const now = deps.now();
  const out = await awsStep("cloudwatch:GetMetricData", () =>
    deps.clients.cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(now.getTime() - run.window * 1000),
        EndTime: now,
        ScanBy: "TimestampDescending",
      }),
    ),
  );
  return run.metrics.map((m, i) => {
    const value = out.MetricDataResults?.find((r) => r.Id === `a${i}`)?.Values?.[0];
    const bound = [m.min !== undefined ? `≥ ${m.min}` : "", m.max !== undefined ? `≤ ${m.max}` : ""]
      .filter(Boolean)
      .join(", ");
    if (value === undefined || Number.isNaN(value))
      return { metric: m.name, value: null, bound, passed: null };
    const passed = (m.max === undefined || value <= m.max) && (m.min === undefined || value >= m.min);
    return { metric: m.name, value, bound, passed };
  });
}

/** The analysis results of a deployment's latest execution, newest first, for `status`. */
export async function analysisStatus(
  store: StateStore,
  deployment: string,
  executionArn: string,
): Promise<AuditRecord[]> {
  return (await listAudit(store))
    .filter(
      (a) =>
        a.subject === deployment && a.executionArn === executionArn && a.decision.startsWith("analysis-"),
    )
    .reverse()
    .slice(0, 3);
}
