import * as z from "zod";
import { CostSchema } from "../cost/config.ts";
import { crossDeploymentIssues, DeploymentSchema } from "../deployments/config.ts";
import { RunbookSchema } from "../failover/config.ts";
import { RotationSchema, SecretScanningSchema, SecretsSchema, secretKeyIssues } from "../secrets/config.ts";
import { IamSchema, iamIssues } from "./iam.ts";
import { ACCOUNT_ID, duration, evenWithOtherIssues, pattern, REGION, slug, strict } from "./zod.ts";

/**
 * The whole configuration: each reaction's section comes from its own `config.ts`, where its
 * defaults are; the settings that belong to no one reaction (the app, its account and region,
 * notifications, safety) and their defaults are here.
 */

const APP_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const SNS_TOPIC_ARN =
  /^arn:aws[a-zA-Z-]*:sns:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

export const ConfigSchema = strict({
  /** A JSON config may name its JSON Schema (switchyard.schema.json) for editors; nothing reads it. */
  $schema: z.string().optional(),
  name: pattern(
    APP_NAME,
    (input) =>
      `must be 1 to 30 lower-case letters, digits or "-", starting with a letter, e.g. "${slug(input)}"`,
  ).default("switchyard"),
  region: pattern(REGION, () => 'must be an AWS Region code, e.g. "us-east-1"').default("us-east-1"),
  account: pattern(
    ACCOUNT_ID,
    () => 'must be a 12-digit AWS account ID written as a string, e.g. "123456789012"',
  ).default("123456789012"),
  /**
   * The accounts and regions Switchyard acts for: an event from anywhere else is rejected and
   * dead-lettered. Always acted for: the stack's own `account` and `region`, and the regions of
   * the failover runbooks; list more here (e.g. a region whose ECR pushes should deploy).
   */
  provenance: strict({
    accounts: z
      .array(
        pattern(
          ACCOUNT_ID,
          () => 'must be a 12-digit AWS account ID written as a string, e.g. "123456789012"',
        ),
      )
      .min(1, {
        error: 'list at least one account, or remove "accounts" to act for the stack\'s account only',
      })
      .optional(),
    regions: z
      .array(pattern(REGION, () => 'must be an AWS Region code, e.g. "us-east-1"'))
      .min(1, { error: 'list at least one region, or remove "regions" to act in the stack\'s region only' })
      .optional(),
  }).prefault({}),
  /** Alias traffic shifting and alarm rollback (deployments/config.ts). */
  deployments: z.array(DeploymentSchema).default([]),
  /** Secret rotation and rotate-on-leak (secrets/config.ts). */
  secrets: SecretsSchema.default([]),
  secretScanning: SecretScanningSchema.optional(),
  /** Where Switchyard's rotation function runs: its VPC, for private databases (secrets/config.ts). */
  rotation: RotationSchema.prefault({}),
  /** Failover runbooks (failover/config.ts). */
  failover: strict({ runbooks: z.array(RunbookSchema).default([]) }).prefault({}),
  /** Cost Anomaly Detection responses: rules, tiers, actions, protected tags (cost/config.ts). */
  cost: CostSchema,
  notifications: strict({
    topicArn: pattern(
      SNS_TOPIC_ARN,
      () => 'must be an SNS topic ARN, e.g. "arn:aws:sns:us-east-1:123456789012:switchyard-notifications"',
    ).optional(),
  }).prefault({}),
  /** Name prefixes granted by wildcard instead of ARN by ARN, for configs too large for IAM's quotas (config/iam.ts). */
  iam: IamSchema,
  safety: strict({
    paused: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    actionLimit: strict({
      max: z
        .number()
        .int({ error: "must be a whole number of actions" })
        .min(1, { error: "must be at least 1; to stop all automation set safety.paused to true instead" })
        .default(20),
      window: duration().prefault("1h"),
    })
      .prefault({})
      .transform(({ max, window }) => ({ max, windowSeconds: window })),
  }).prefault({}),
})
  .superRefine(crossDeploymentIssues, evenWithOtherIssues)
  .superRefine(iamIssues, evenWithOtherIssues)
  .superRefine(secretKeyIssues, evenWithOtherIssues)
  .superRefine(notificationIssues, evenWithOtherIssues)
  // The stack's account and region are always acted for: it is where Switchyard itself runs. So
  // are the regions a failover runbook names: it acts there, and its AWS Health trigger listens there.
  .transform(({ provenance, ...config }) => ({
    ...config,
    provenance: {
      accounts: [...new Set([config.account, ...(provenance.accounts ?? [])])],
      regions: [
        ...new Set([
          config.region,
          ...config.failover.runbooks.flatMap((r) => [r.primaryRegion, r.secondaryRegion]),
          ...(provenance.regions ?? []),
        ]),
      ],
    },
  }));

/**
 * The notification topic must be in the stack's Region: "You can publish messages only to topics
 * and endpoints in the same AWS Region" (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html),
 * and every notice is published from there — by the functions' SNS client and by the failover state
 * machine's `sns:publish` task. A topic elsewhere would be answered `InvalidParameter` on every
 * notice, and would fail the failover execution at its last step, after the failover was done.
 */
function notificationIssues(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const topicArn = (config.notifications as { topicArn?: unknown } | undefined)?.topicArn;
  if (typeof topicArn !== "string") return;
  const topicRegion = topicArn.split(":")[3];
  const region = String(config.region ?? "us-east-1");
  if (topicRegion && topicRegion !== region)
    ctx.addIssue({
      code: "custom",
      path: ["notifications", "topicArn"],
      message: `the topic is in ${topicRegion} but the stack runs in ${region}, and SNS takes a Publish only in the topic's own Region: use a topic in ${region}, or set region to "${topicRegion}"`,
    });
}

/** What `defineConfig` accepts: the file as written, defaults optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** The validated configuration the rest of core uses: defaults filled, strategies as steps, durations in seconds. */
export type Config = z.output<typeof ConfigSchema>;
export type Deployment = Config["deployments"][number];
export type Runbook = Config["failover"]["runbooks"][number];
export type ManagedSecret = Config["secrets"][number];

/** The typed identity `switchyard.config.ts` default-exports, so an editor checks the file as it is written. */
export function defineConfig(input: ConfigInput): ConfigInput {
  return input;
}
