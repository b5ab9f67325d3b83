import * as z from "zod";
import { suggestion } from "../config/suggest.ts";
import { duration, strict } from "../config/zod.ts";
import { ACTION_TYPES, type ActionType } from "./action-types.ts";

/**
 * The `cost` section of the config: how Switchyard answers Cost Anomaly Detection alerts.
 * Kept beside the cost code so the action units and their config schemas live together;
 * config/schema.ts only mounts this section. No AWS SDK import here: the SDK clients belong to
 * the actions. No function imports a value from here, so none builds this schema (ADR 0035).
 * Every default is in this file.
 */

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

const names = (regex: RegExp, what: string) =>
  z
    .array(z.string().regex(regex, { error: `must be ${what}` }))
    .min(1, { error: `list at least one ${what}` });

const CLUSTER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

/**
 * Which resources a stop action selects: every listed tag key must be present with one of its
 * values. It names the non-production side (e.g. environment: dev, staging); the protected
 * tags still win over it.
 */
const selector = () =>
  z
    .record(
      z.string().min(1, { error: "tag keys cannot be empty" }),
      z.array(z.string().min(1)).min(1, { error: 'list at least one tag value, e.g. ["dev", "staging"]' }),
    )
    .refine((tags) => Object.keys(tags).length > 0, {
      error: 'select by at least one tag, e.g. { "environment": ["dev", "staging"] }',
    });

/** Each action type's own settings. Every action unit in actions.ts names its schema here. */
export const ACTION_SCHEMAS = {
  notify: strict({ type: z.literal("notify") }),
  "cap-lambda-concurrency": strict({
    type: z.literal("cap-lambda-concurrency"),
    functions: names(FUNCTION_NAME, 'Lambda function name (no ARN, no qualifier), e.g. "batch-worker"'),
    concurrency: z
      .number()
      .int({ error: "must be a whole number of concurrent executions" })
      .min(0, { error: "must be 0 or more (0 stops the function being invoked)" }),
  }),
  "disable-schedules": strict({
    type: z.literal("disable-schedules"),
    rules: names(RULE_NAME, 'EventBridge rule name on the default bus, e.g. "nightly-report"'),
  }),
  "stop-ec2-instances": strict({ type: z.literal("stop-ec2-instances"), select: selector() }),
  "stop-rds-instances": strict({ type: z.literal("stop-rds-instances"), select: selector() }),
  "scale-ecs-services-to-zero": strict({
    type: z.literal("scale-ecs-services-to-zero"),
    clusters: names(CLUSTER_NAME, 'ECS cluster name (no ARN), e.g. "ignition"'),
    select: selector(),
  }),
} as const satisfies { [T in ActionType]: z.ZodType<{ type: T }> };

export type ActionConfig = { [K in ActionType]: z.output<(typeof ACTION_SCHEMAS)[K]> }[ActionType];

/** The `type` is checked first, so an unknown one is reported on `type` itself with the known ones. */
const Action = z
  .looseObject({
    type: z.string({ error: `missing; add "type" (one of ${ACTION_TYPES.join(", ")})` }),
  })
  .transform((value, ctx): ActionConfig => {
    const schema = (ACTION_SCHEMAS as Record<string, z.ZodType<ActionConfig>>)[value.type];
    if (!schema) {
      ctx.addIssue({
        code: "custom",
        path: ["type"],
        message: `unknown action type "${value.type}"; ${suggestion(value.type, ACTION_TYPES)}`,
      });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }
    return z.NEVER;
  });

const Tier = strict({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, {
    error: 'must be a short lower-case name, e.g. "notice", "act" or "critical"',
  }),
  /** The anomaly's total impact (USD) must be at least this. */
  minImpact: z.number().min(0, { error: "must be 0 or more (US dollars)" }).default(0),
  /** And its total impact percentage at least this (AWS omits it for new spend: that always passes). */
  minPercent: z.number().min(0, { error: "must be 0 or more (percent)" }).default(0),
  actions: z.array(Action).min(1, { error: 'list what this tier does, e.g. [{ "type": "notify" }]' }),
});

const Rule = strict({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    error: 'must be 1 to 40 lower-case letters, digits or "-", e.g. "lambda-spend"',
  }),
  /** Every listed dimension must match (an omitted one matches anything); values within a list are alternatives. */
  match: strict({
    services: z.array(z.string().min(1)).optional(),
    accounts: z.array(z.string().regex(/^\d{12}$/, { error: "must be a 12-digit account ID" })).optional(),
    regions: z.array(z.string().min(1)).optional(),
    /** Prefixes, as usage types carry the region in front ("USE1-Lambda-GB-Second"). */
    usageTypes: z.array(z.string().min(1)).optional(),
    monitors: z.array(z.string().startsWith("arn:", { error: "must be a monitor ARN" })).optional(),
    /** Cost-allocation-tag monitors report the tag as the dimension value "Key:Value". */
    tags: z.record(z.string().min(1), z.string()).optional(),
  }).prefault({}),
  tiers: z
    .array(Tier)
    .min(1, { error: "grade the anomalies this rule selects into at least one tier" })
    .superRefine((tiers, ctx) => {
      const seen = new Set<string>();
      tiers.forEach((tier, index) => {
        if (seen.has(tier.name))
          ctx.addIssue({
            code: "custom",
            path: [index, "name"],
            message: `tier "${tier.name}" is listed twice; give each tier its own name`,
          });
        seen.add(tier.name);
      });
    }),
});

const Tag = strict({ key: z.string().min(1), values: z.array(z.string()).optional() });

export const CostSchema = strict({
  rules: z.array(Rule).default([]),
  /** Resources with any of these tags are never touched, whatever a rule says. No values = any value. */
  protectedTags: z
    .array(Tag)
    .default([{ key: "environment", values: ["production", "prod"] }, { key: "switchyard:protected" }]),
  /** How long a human has to approve a destructive action; then nothing is done. */
  approvalTimeout: duration({ withinExecution: true, example: "1h" }).prefault("1h"),
  /** Everything applied is reverted after this, if the anomaly has not ended before. */
  ttl: duration({ withinExecution: true, example: "1h" }).prefault("1d"),
  /** A Slack-compatible incoming webhook (receives `{ text, blocks }`). */
  webhookUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  dryRun: z.boolean().default(false),
}).prefault({});

export type CostConfig = z.output<typeof CostSchema>;
export type CostRule = CostConfig["rules"][number];
export type CostTier = CostRule["tiers"][number];
export type ProtectedTag = CostConfig["protectedTags"][number];
