import type { StrategyInput } from "@switchyard/core/config/index";
import { type Config, parseConfig } from "@switchyard/core/config/index";

/**
 * The bench's own control-plane configurations, built in code: a bench must not depend on the
 * example config a user may have edited. The first deployment mirrors the example's "api"
 * (the AWS samples' repository my-repository-name:latest, guarded by ServerCpuTooHigh).
 */

export const ALARM = "ServerCpuTooHigh";
export const REPOSITORY = "my-repository-name";
export const TAG = "latest";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:switchyard-notifications";

interface DeploymentShape {
  name: string;
  function: string;
  repository: string;
  alarm: string;
  strategy: StrategyInput;
  scanGate: boolean;
  /** More deployment fields (analysis, versionAlarms, hooks...) as the config spells them. */
  fields?: Record<string, unknown>;
}

export function deployment(n: number, overrides: Partial<DeploymentShape> = {}): DeploymentShape {
  return {
    name: n === 0 ? "api" : `service-${n}`,
    function: n === 0 ? "api-handler" : `service-${n}-handler`,
    repository: n === 0 ? REPOSITORY : `service-${n}`,
    alarm: n === 0 ? ALARM : `Service${n}Errors`,
    strategy: "Canary10Percent5Minutes",
    scanGate: true,
    ...overrides,
  };
}

/**
 * A validated config of these deployments. The action limit is lifted: the bench deploys
 * hundreds of times in one virtual hour, and the limit's job (stopping runaway automation)
 * would turn the measurement into a measurement of the limit.
 */
export function benchConfig(deployments: readonly DeploymentShape[]): Config {
  return parseConfig(
    {
      deployments: deployments.map((d) => ({
        name: d.name,
        function: d.function,
        alias: "live",
        image: { repository: d.repository, tag: TAG },
        strategy: d.strategy,
        alarms: [d.alarm],
        ...(d.scanGate ? { gates: { scan: { threshold: "HIGH" } } } : {}),
        ...d.fields,
      })),
      notifications: { topicArn: TOPIC },
      safety: { actionLimit: { max: 1_000_000, window: "1h" } },
    },
    "bench config",
  );
}
