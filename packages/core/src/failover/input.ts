import * as z from "zod";
import type { Runbook } from "../config/schema.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";

const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const region = (example: string) =>
  z.string({ error: `missing; name the AWS Region, e.g. "${example}"` }).regex(REGION, {
    error: `must be an AWS Region code, e.g. "${example}"`,
  });
const seconds = z.number().int().positive();
const checks = z.object({ checks: z.number().int().min(0).default(0) }).prefault({});

/**
 * The failover state machine's input. Self-contained: the runbook's parts (what to promote,
 * scale, configure and point DNS at), its targets and bounds, and why it started. A console
 * start may write only the parts it needs: the first state fills the defaults and names
 * every missing or malformed field. Progress counters live here so a redrive resumes them.
 */
export const FailoverInput = z
  .looseObject({
    runbook: z
      .string({ error: 'missing; name the runbook, e.g. "ignition"' })
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, {
        error: 'must be 1 to 40 lower-case letters, digits or "-"',
      }),
    primaryRegion: region("us-east-1"),
    secondaryRegion: region("us-west-2"),
    /** A read replica to promote, or an Aurora global database whose `targetCluster` becomes the writer. */
    database: z
      .union([
        z.object({ kind: z.literal("read-replica").default("read-replica"), replica: z.string().min(1) }),
        z.object({
          kind: z.literal("aurora-global"),
          globalClusterIdentifier: z.string().min(1),
          targetCluster: z.string().min(1),
        }),
      ])
      .nullable()
      .default(null),
    compute: z
      .object({
        lambda: z
          .object({ function: z.string().min(1), alias: z.string().min(1), provisionedConcurrency: seconds })
          .nullable()
          .default(null),
        ecs: z
          .object({ cluster: z.string().min(1), service: z.string().min(1), desiredCount: seconds })
          .nullable()
          .default(null),
        autoScaling: z
          .object({ group: z.string().min(1), desiredCapacity: seconds })
          .nullable()
          .default(null),
      })
      .prefault({}),
    configuration: z
      .object({ parameter: z.string().min(1), value: z.string().min(1) })
      .nullable()
      .default(null),
    dns: z
      .object({
        hostedZoneId: z.string().min(1),
        name: z.string().min(1),
        type: z.enum(["A", "AAAA", "CNAME"]),
        ttl: z.number().int().min(0).default(60),
        value: z.string().min(1),
      })
      .nullable()
      .default(null),
    verify: z
      .object({
        healthCheckId: z.string().min(1).nullable().default(null),
        url: z.url().nullable().default(null),
      })
      .prefault({}),
    approval: z
      .object({ timeoutSeconds: seconds.default(1800), autoApprove: z.boolean().default(false) })
      .prefault({}),
    /** Alarms whose ALARM state is one of the two signals auto-approval needs. */
    signals: z.object({ alarms: z.array(z.string().min(1)).default([]) }).prefault({}),
    targets: z.object({ rtoSeconds: seconds.default(900), rpoSeconds: seconds.default(900) }).prefault({}),
    cooldownSeconds: z.number().int().min(0).default(3600),
    waits: z
      .object({
        promotion: z
          .object({ intervalSeconds: seconds.default(30), maxChecks: seconds.default(40) })
          .prefault({}),
        dns: z.object({ intervalSeconds: seconds.default(10), maxChecks: seconds.default(30) }).prefault({}),
      })
      .prefault({}),
    /** Each poll loop's own counter (workflows/asl.ts `boundedPoll`): checks made so far. */
    progress: z
      .object({
        promotion: checks,
        globalSwitch: checks,
        dns: checks,
        resync: checks,
      })
      .prefault({}),
    /** Failover, or failback toward the old primary (no cooldown; the database resyncs first). */
    direction: z.enum(["failover", "failback"]).default("failover"),
    /** Failback only: the replica to create in the old primary region, from the current primary. */
    resync: z
      .object({
        replica: z.string().min(1),
        source: z.string().min(1),
        availabilityZone: z.string().min(1),
        /** A KMS key of the destination region, for an encrypted source (null: not sent). */
        kmsKeyId: z.string().min(1).nullable().default(null),
        /** The destination region's DB subnet group, for a replica in a VPC (null: not sent). */
        dbSubnetGroupName: z.string().min(1).nullable().default(null),
        intervalSeconds: seconds.default(60),
        maxChecks: seconds.default(60),
      })
      .nullable()
      .default(null),
    dryRun: z.boolean().default(false),
    notifyTopicArn: z.string().nullable().default(null),
    trigger: z
      .object({
        kind: z.enum(["alarm", "health", "manual"]),
        eventId: z.string().min(1),
        source: z.string(),
        detailType: z.string(),
        time: z.string().optional(),
      })
      .nullable()
      .default(null),
    correlationId: z.string().min(1).nullable().default(null),
  })
  .superRefine((input, ctx) => {
    if (input.database === null && input.configuration === null && input.dns === null)
      ctx.addIssue({
        code: "custom",
        message: 'names nothing to fail over: add "database", "configuration" or "dns"',
      });
  });

export type FailoverInput = z.output<typeof FailoverInput>;

/** What each failover-steps invocation receives from the state machine. */
export const FailoverStepPayload = z.object({
  action: z.string(),
  input: z.unknown(),
  execution: z.string().min(1),
  stateMachine: z.string().optional(),
  taskToken: z.string().optional(),
  /** The part a `plan` step plans (promote, scaleLambda, ..., resync). */
  part: z.string().optional(),
  /** What the state machine read from AWS just before this step (a describe/get result, or the error). */
  world: z
    .record(z.string(), z.unknown(), { error: "must be what the Read state got from AWS: an object" })
    .optional(),
  /** A `call` step: which regional call (regional.ts), in which region, with which parameters. */
  call: z.string().optional(),
  region: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type FailoverStepPayload = z.infer<typeof FailoverStepPayload>;

/** The self-contained input for one run of a runbook. */
export function runbookInput(
  runbook: Runbook,
  options: {
    notifyTopicArn: string | null;
    dryRun: boolean;
    trigger: NonNullable<FailoverInput["trigger"]>;
  },
): z.input<typeof FailoverInput> {
  return {
    runbook: runbook.name,
    primaryRegion: runbook.primaryRegion,
    secondaryRegion: runbook.secondaryRegion,
    database: databaseInput(runbook, "failover"),
    compute: {
      lambda: runbook.compute.lambda ?? null,
      ecs: runbook.compute.ecs ?? null,
      autoScaling: runbook.compute.autoScaling ?? null,
    },
    configuration: runbook.configuration ?? null,
    dns: runbook.dns ?? null,
    verify: { healthCheckId: runbook.verify.healthCheckId ?? null, url: runbook.verify.url ?? null },
    approval: runbook.approval,
    signals: { alarms: runbook.triggers.alarms },
    targets: { rtoSeconds: runbook.rtoSeconds, rpoSeconds: runbook.rpoSeconds },
    cooldownSeconds: runbook.cooldownSeconds,
    dryRun: runbook.dryRun || options.dryRun,
    notifyTopicArn: options.notifyTopicArn,
    trigger: options.trigger,
    correlationId: options.trigger.eventId,
  };
}

/**
 * The self-contained input that fails a runbook back: the regions swapped, a new replica of the
 * current primary created in the old primary region and, once in sync, promoted; configuration
 * and DNS pointed back. The secondary's compute is left as it is (scale it down by hand).
 */
export function failbackInput(
  runbook: Runbook,
  options: {
    account: string;
    notifyTopicArn: string | null;
    dryRun: boolean;
    trigger: NonNullable<FailoverInput["trigger"]>;
  },
): z.input<typeof FailoverInput> {
  const back = runbook.failback;
  const db = runbook.database;
  // An Aurora global database switches back by itself; a promoted replica needs a new replica first.
  const replica = db?.kind === "read-replica" ? back?.replica : undefined;
  if (!db || (db.kind === "read-replica" && !replica))
    throw new SwitchyardError(
      ErrorNames.ConfigError,
      `runbook ${runbook.name} has no "failback" section with a replica (and a database): it cannot fail back`,
    );
  const base = runbookInput(runbook, options);
  return {
    ...base,
    primaryRegion: runbook.secondaryRegion,
    secondaryRegion: runbook.primaryRegion,
    direction: "failback",
    database: replica ? { kind: "read-replica", replica } : databaseInput(runbook, "failback"),
    compute: { lambda: null, ecs: null, autoScaling: null },
    configuration:
      runbook.configuration && back?.configurationValue
        ? { parameter: runbook.configuration.parameter, value: back.configurationValue }
        : null,
    dns: runbook.dns && back?.dnsValue ? { ...runbook.dns, value: back.dnsValue } : null,
    resync:
      db.kind === "read-replica" && replica
        ? {
            replica,
            source: `arn:aws:rds:${runbook.secondaryRegion}:${options.account}:db:${db.replica}`,
            availabilityZone: `${runbook.primaryRegion}a`,
            kmsKeyId: back?.kmsKeyId ?? null,
            dbSubnetGroupName: back?.dbSubnetGroupName ?? null,
          }
        : null,
    signals: { alarms: [] },
  };
}

/** The runbook's database part as the state machine takes it: which cluster becomes the writer. */
function databaseInput(
  runbook: Runbook,
  direction: "failover" | "failback",
): z.input<typeof FailoverInput>["database"] {
  const db = runbook.database;
  if (!db) return null;
  if (db.kind === "read-replica") return { kind: "read-replica", replica: db.replica };
  return {
    kind: "aurora-global",
    globalClusterIdentifier: db.globalClusterIdentifier,
    targetCluster: direction === "failover" ? db.secondaryCluster : db.primaryCluster,
  };
}
