import * as z from "zod";
import {
  ALIAS_NAME,
  duration,
  evenWithOtherIssues,
  FUNCTION_REF,
  isRecord,
  itemName,
  oneOf,
  pattern,
  REGION,
  strict,
} from "../config/zod.ts";

/**
 * The `failover.runbooks` section of the config: what a failover promotes, scales, repoints and
 * verifies, what starts it, and how a failback returns. Every default of a runbook is in this file.
 */

// Patterns follow the RDS, Route 53 and SSM API references.
const DB_IDENTIFIER = /^[a-zA-Z](?:-?[a-zA-Z0-9])*$/;
const HOSTED_ZONE_ID = /^(?:\/hostedzone\/)?Z[A-Z0-9]{1,31}$/;
const SSM_PARAMETER = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const HEALTH_CHECK_ID = /^[0-9a-fA-F-]{1,64}$/;
const DB_SUBNET_GROUP = /^(?!default$)[a-zA-Z0-9 ._-]{1,255}$/;
/** A KMS key id, key ARN, alias name or alias ARN (RDS's KmsKeyId accepts each). */
const KMS_KEY =
  /^(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32}|alias\/[a-zA-Z0-9/_-]{1,250}|arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(?:key\/[0-9a-zA-Z-]+|alias\/[a-zA-Z0-9/_-]+))$/;
const DNS_TYPES = ["A", "AAAA", "CNAME"] as const;

export const RunbookSchema = strict({
  name: itemName(),
  primaryRegion: pattern(REGION, () => 'must be an AWS Region code, e.g. "us-east-1"'),
  secondaryRegion: pattern(REGION, () => 'must be an AWS Region code, e.g. "us-west-2"'),
  /**
   * The read replica in the secondary region to promote, or the Aurora global database whose
   * secondary cluster becomes the writer. `kind` may be left out for a read replica.
   */
  database: z
    .preprocess(
      (value) => (isRecord(value) && value.kind === undefined ? { kind: "read-replica", ...value } : value),
      z.discriminatedUnion(
        "kind",
        [
          strict({
            kind: z.literal("read-replica"),
            replica: pattern(
              DB_IDENTIFIER,
              () => 'must be an RDS DB instance identifier, e.g. "app-db-replica"',
            ),
          }),
          strict({
            kind: z.literal("aurora-global"),
            globalClusterIdentifier: pattern(
              DB_IDENTIFIER,
              () => 'must be an Aurora global database identifier, e.g. "app-global"',
            ),
            primaryCluster: pattern(
              DB_IDENTIFIER,
              () => 'must be the DB cluster identifier in primaryRegion, e.g. "app-use1"',
            ),
            secondaryCluster: pattern(
              DB_IDENTIFIER,
              () => 'must be the DB cluster identifier in secondaryRegion, e.g. "app-usw2"',
            ),
          }),
        ],
        { error: 'kind must be "read-replica" (the default) or "aurora-global"' },
      ),
    )
    .optional(),
  compute: strict({
    lambda: strict({
      function: pattern(FUNCTION_REF, () => "must be a Lambda function name or ARN"),
      alias: pattern(ALIAS_NAME, () => 'must be a Lambda alias name, e.g. "live"'),
      provisionedConcurrency: z.number().int().min(1, { error: "must be at least 1" }),
    }).optional(),
    ecs: strict({
      cluster: z.string().min(1),
      service: z.string().min(1),
      desiredCount: z.number().int().min(1, { error: "must be at least 1 task" }),
    }).optional(),
    autoScaling: strict({
      group: z.string().min(1).max(255),
      desiredCapacity: z.number().int().min(1, { error: "must be at least 1 instance" }),
    }).optional(),
  }).prefault({}),
  /** Points the application at the new primary. */
  configuration: strict({
    parameter: pattern(SSM_PARAMETER, () => 'must be an SSM parameter name, e.g. "/app/database-host"'),
    value: z.string().min(1, { error: "write the value the parameter holds after failover" }),
  }).optional(),
  /** The record that sends clients to the secondary once written. */
  dns: strict({
    hostedZoneId: pattern(HOSTED_ZONE_ID, () => 'must be a Route 53 hosted zone ID, e.g. "Z1D633PJN98FT9"'),
    name: z.string().min(1),
    type: oneOf(DNS_TYPES, "record type"),
    ttl: z.number().int().min(0).max(2147483647).default(60),
    value: z.string().min(1, { error: "write what the record answers after failover" }),
  }).optional(),
  verify: strict({
    healthCheckId: pattern(HEALTH_CHECK_ID, () => "must be a Route 53 health check ID").optional(),
    url: z
      .url({ error: 'must be the service URL to probe, e.g. "https://api.example.com/health"' })
      .optional(),
  }).prefault({}),
  triggers: strict({
    /** CloudWatch alarms (typically on Route 53 health checks) whose ALARM starts this runbook. */
    alarms: z.array(z.string().min(1).max(255)).default([]),
    /** AWS Health issues for the primary region start it too. */
    health: z.boolean().default(true),
  }).prefault({}),
  approval: strict({
    timeout: duration({ withinExecution: true }).prefault("30m"),
    /** Skip the human only when a trigger alarm is in ALARM and AWS Health reports an issue in the primary region. */
    autoApprove: z.boolean().default(false),
  }).prefault({}),
  /** Failing back: a new replica in the primary region, then the values to point back to. */
  failback: strict({
    /** Read replicas only: an Aurora global database switches back to its primary cluster. */
    replica: pattern(
      DB_IDENTIFIER,
      () => 'must be an RDS DB instance identifier, e.g. "app-db-use1"',
    ).optional(),
    configurationValue: z.string().min(1).optional(),
    dnsValue: z.string().min(1).optional(),
    /**
     * The KMS key, in primaryRegion, that encrypts the new replica: required when the database is
     * encrypted, since a cross-region replica cannot use the source region's key
     * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
     */
    kmsKeyId: pattern(
      KMS_KEY,
      () => 'must be a KMS key id, key ARN or alias of primaryRegion, e.g. "alias/app-db"',
    ).optional(),
    /** The DB subnet group in primaryRegion that places the new replica in its VPC. */
    dbSubnetGroupName: pattern(
      DB_SUBNET_GROUP,
      () => 'must be a DB subnet group name in primaryRegion (not "default"), e.g. "app-db-private"',
    ).optional(),
  }).optional(),
  rto: duration().prefault("15m"),
  rpo: duration().prefault("15m"),
  cooldown: duration({ allowZero: true }).prefault("1h"),
  dryRun: z.boolean().default(false),
})
  .superRefine((runbook: Record<string, unknown>, ctx) => {
    if (typeof runbook.primaryRegion === "string" && runbook.primaryRegion === runbook.secondaryRegion)
      ctx.addIssue({
        code: "custom",
        path: ["secondaryRegion"],
        message: "must differ from primaryRegion: a failover moves the service to another region",
      });
    if (runbook.database === undefined && runbook.dns === undefined && runbook.configuration === undefined)
      ctx.addIssue({
        code: "custom",
        message: 'has nothing to do: add "database", "configuration" or "dns"',
      });
    const database = runbook.database as { kind?: unknown } | undefined;
    const failback = runbook.failback as Record<string, unknown> | undefined;
    const kmsRegion = isRecord(failback)
      ? /^arn:[^:]+:kms:([^:]+):/.exec(String(failback.kmsKeyId ?? ""))?.[1]
      : undefined;
    if (kmsRegion && typeof runbook.primaryRegion === "string" && kmsRegion !== runbook.primaryRegion)
      ctx.addIssue({
        code: "custom",
        path: ["failback", "kmsKeyId"],
        message: `is a key of ${kmsRegion}; the new replica is created in primaryRegion (${runbook.primaryRegion}) and needs a key there`,
      });
    if (isRecord(database) && database.kind === "aurora-global" && isRecord(failback))
      for (const key of ["kmsKeyId", "dbSubnetGroupName"] as const)
        if (failback[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["failback", key],
            message:
              "applies to a read replica's failback only: an Aurora global database switches back without a new replica",
          });
    if (isRecord(database) && database.kind !== "aurora-global" && isRecord(failback) && !failback.replica)
      ctx.addIssue({
        code: "custom",
        path: ["failback", "replica"],
        message:
          'missing; name the new read replica to create in primaryRegion, e.g. "app-db-use1" (a promoted replica has nothing to switch back to)',
      });
  }, evenWithOtherIssues)
  .transform(({ approval, rto, rpo, cooldown, ...rest }) => ({
    ...rest,
    approval: { timeoutSeconds: approval.timeout, autoApprove: approval.autoApprove },
    rtoSeconds: rto,
    rpoSeconds: rpo,
    cooldownSeconds: cooldown,
  }));
