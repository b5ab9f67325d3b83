/**
 * The kinds of cost action, shared by the `cost` config's schema (config.ts, ACTION_SCHEMAS names
 * one schema per kind) and the cost-response workflow input (input.ts). Apart from both, so the
 * cost-steps function reads its input without building the config's schema (ADR 0035).
 */
export const ACTION_TYPES = [
  "notify",
  "cap-lambda-concurrency",
  "disable-schedules",
  "stop-ec2-instances",
  "stop-rds-instances",
  "scale-ecs-services-to-zero",
] as const;

export type ActionType = (typeof ACTION_TYPES)[number];
