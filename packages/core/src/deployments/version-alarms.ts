import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import type { Config, Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import type { DeployInput } from "./input.ts";

/**
 * Alarms scoped to the new version (issue #12, ADR 0026): a deployment declares alarm templates;
 * the guarded shift that first gives the new version traffic creates one CloudWatch alarm per
 * template on the version's own metrics, and the end of the deployment (finish, rollback,
 * abandon, stale, deploy-watch) deletes them. Their names share the prefix
 * `switchyard-<deployment>-v<version>-`, so the IAM grant is a prefix ARN and the rollback
 * function finds the deployment an alarm guards by its name.
 */

export const VERSION_ALARM_PREFIX = "switchyard-";

type Template = NonNullable<Deployment["versionAlarms"]>[number];

/** The deploy input's field: the templates, so a console replay creates the same alarms. */
export function versionAlarmInput(templates: Deployment["versionAlarms"]): { versionAlarms?: Template[] } {
  return templates && templates.length > 0 ? { versionAlarms: templates } : {};
}

/** The prefix every version alarm of this deployment's version carries. */
export const versionAlarmPrefix = (deployment: string, version: string) =>
  `${VERSION_ALARM_PREFIX}${deployment}-v${version}-`;

/** The deployments (of the config) whose version alarm this is, by its name's prefix. */
export function versionAlarmOwners<D extends Config["deployments"][number]>(
  deployments: readonly D[],
  alarmName: string,
): D[] {
  return deployments.filter((d) => {
    const prefix = `${VERSION_ALARM_PREFIX}${d.name}-v`;
    return (
      ((d as { versionAlarms?: unknown[] }).versionAlarms?.length ?? 0) > 0 &&
      alarmName.startsWith(prefix) &&
      /^\d+-/.test(alarmName.slice(prefix.length))
    );
  });
}

const templatesOf = (input: unknown) => (input as { versionAlarms?: Template[] }).versionAlarms ?? [];

/**
 * Creates (or updates: PutMetricAlarm replaces an alarm of the same name, so a retry or a
 * redrive writes the same alarms again) one alarm per template on the version's metrics: the
 * dimensions FunctionName, Resource ("function:alias") and ExecutedVersion, which Lambda
 * publishes for invocations through an alias.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export async function createVersionAlarms(
  deps: CoreDeps,
  input: DeployInput,
  version: string,
): Promise<string[]> {
  const names: string[] = [];
  for (const t of templatesOf(input)) {
    const name = `${versionAlarmPrefix(input.deployment, version)}${t.name}`;
    const percentile = t.statistic.startsWith("p");
    await awsStep("cloudwatch:PutMetricAlarm", () =>
      deps.clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: `Switchyard: ${t.metric} ${t.statistic} of ${input.functionName}:${input.alias} version ${version} during deployment ${input.deployment}`,
          Namespace: "AWS/Lambda",
          MetricName: t.metric,
          Dimensions: [
            { Name: "FunctionName", Value: input.functionName },
            { Name: "Resource", Value: `${input.functionName}:${input.alias}` },
            { Name: "ExecutedVersion", Value: version },
          ],
          ...(percentile
            ? { ExtendedStatistic: t.statistic }
            : { Statistic: t.statistic as "Sum" | "Average" | "Minimum" | "Maximum" | "SampleCount" }),
          Threshold: t.threshold,
          ComparisonOperator: t.comparison,
          EvaluationPeriods: t.periods,
          Period: t.period,
          TreatMissingData: "notBreaching",
        }),
      ),
    );
    names.push(name);
  }
  return names;
}

/**
 * Deletes the version's alarms once its deployment ended: those of its templates that exist
 * (DescribeAlarms by name first, so a second call deletes nothing and fails on nothing).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
 */
export async function deleteVersionAlarms(
  deps: CoreDeps,
  input: unknown,
  deployment: string,
  version: string,
): Promise<string[]> {
  if (templatesOf(input).length === 0 || !version) return [];
  const prefix = versionAlarmPrefix(deployment, version);
  const found = await awsStep("cloudwatch:DescribeAlarms", () =>
    deps.clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: templatesOf(input).map((t) => `${prefix}${t.name}`) }),
    ),
  );
  const names = (found.MetricAlarms ?? []).map((a) => String(a.AlarmName));
  if (names.length === 0) return [];
  await awsStep("cloudwatch:DeleteAlarms", () =>
    deps.clients.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: names })),
  );
  logger.info("version alarms deleted", { deployment, version, names });
  return names;
}
