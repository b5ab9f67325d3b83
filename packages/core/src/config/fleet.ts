import type { ConfigInput } from "./schema.ts";

/**
 * Invented: a fleet of `size` deployments (two alarms and an ECR repository each), with
 * `overrides` over the rest of the config. There is no public sample of a large Switchyard
 * config; the stack tests and `switchyard bench` plan this one.
 */
export function fleet(size: number, overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    region: "eu-west-1",
    account: "111122223333",
    notifications: { topicArn: "arn:aws:sns:eu-west-1:111122223333:platform-alerts" },
    deployments: Array.from({ length: size }, (_, i) => ({
      name: `svc-${i}`,
      function: `svc-${i}-api`,
      alias: "live",
      image: { repository: `platform/svc-${i}`, tag: "release" },
      strategy: "Linear10PercentEvery1Minute" as const,
      alarms: [`svc-${i}-errors`, `svc-${i}-latency`],
    })),
    ...overrides,
  };
}
