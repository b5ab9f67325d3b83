import * as z from "zod";
import { CostSchema } from "../cost/config.ts";
import { ROTATOR_NAMES, ROTATOR_OPTIONS } from "../secrets/catalog.ts";
import { readDuration, parseDuration as seconds } from "./duration.ts";
import { customStepProblems, PRESET_NAMES, strategyName, strategySteps } from "./strategy.ts";
import { closest, suggestion } from "./suggest.ts";

/** ECR finding severities, most severe first: a scan gate blocks on findings at or above its threshold. */
export const SCAN_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as const;

const GITHUB_EVENTS = ["release", "deployment"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Run a cross-field check even when sibling fields failed (reading leniently), so one pass reports every issue. */
const evenWithOtherIssues = { when: (payload: { value: unknown }) => isRecord(payload.value) };
const evenWithOtherItemIssues = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };

/** Every object is strict, so a typo fails instead of being ignored; the message names the field meant. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    // One line per key, in `keys` order: parse.ts splits them so each line names its own field.
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys
            .map((key) => {
              const near = closest(key, known);
              const fix = near ? `did you mean "${near}"?` : `remove it (fields here: ${known.join(", ")})`;
              return `unknown field "${key}"; ${fix}`;
            })
            .join("\n")
        : undefined,
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) =>
      typeof issue.input === "string"
        ? `unknown ${what} "${issue.input}"; ${suggestion(issue.input, values)}`
        : `must be one of: ${values.join(", ")}`,
  });
}

/** A duration string such as "30s" or "1h30m"; kept as written here, converted to seconds by the transforms. */
function duration(allowZero: boolean) {
  return z.string().superRefine((text, ctx) => {
    const read = readDuration(text);
    if ("problem" in read) ctx.addIssue({ code: "custom", message: read.problem });
    else if (read.seconds === 0 && !allowZero)
      ctx.addIssue({ code: "custom", message: 'must be longer than zero, e.g. "1m"' });
  });
}

function pattern(regex: RegExp, message: (input: string) => string) {
  return z.string().regex(regex, { error: (issue) => message(String(issue.input)) });
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "api";

// Patterns follow the AWS API references (Lambda UpdateAlias, ECR, SNS) and GitHub's naming rules.
const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const FUNCTION_REF =
  /^(?:[a-zA-Z0-9_-]{1,64}|arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64})$/;
const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
const ECR_REPOSITORY = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const SNS_TOPIC_ARN =
  /^arn:aws[a-zA-Z-]*:sns:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const APP_NAME = /^[a-z][a-z0-9-]{0,29}$/;

const PresetStrategy = z.enum(PRESET_NAMES, {
  error: (issue) => {
    const written = String(issue.input).replace(/^CodeDeployDefault\.Lambda/, "");
    const near = typeof issue.input === "string" ? closest(written, PRESET_NAMES) : undefined;
    const what =
      typeof issue.input === "string"
        ? `unknown strategy "${issue.input}"`
        : issue.input === undefined
          ? 'missing; add "strategy"'
          : "must be a strategy";
    return (
      `${what}; ${near ? `did you mean "${near}"? ` : ""}` +
      `use a preset (${PRESET_NAMES.join(", ")}) or custom steps: { "steps": [{ "weight": 10, "pause": "5m" }, { "weight": 100 }] }`
    );
  },
});

const CustomSteps = strict({
  steps: z
    .array(strict({ weight: z.number(), pause: duration(true).optional() }))
    .superRefine((steps, ctx) => {
      for (const problem of customStepProblems(steps)) ctx.addIssue({ code: "custom", ...problem });
    }, evenWithOtherItemIssues),
});

const Strategy = z.union([PresetStrategy, CustomSteps], {
  error: `must be a preset (${PRESET_NAMES.join(", ")}) or custom steps: { "steps": [{ "weight": 10, "pause": "5m" }, { "weight": 100 }] }`,
});

const Deployment = strict({
  name: pattern(
    DEPLOYMENT_NAME,
    (input) =>
      `must be 1 to 40 lower-case letters, digits or "-", starting with a letter or digit ` +
      `(it becomes part of Step Functions execution names), e.g. "${slug(input)}"`,
  ),
  function: pattern(
    FUNCTION_REF,
    () =>
      'must be a Lambda function name (up to 64 letters, digits, "-" or "_") or its ARN ' +
      '(arn:aws:lambda:us-east-1:123456789012:function:my-function), without a version or alias: put the alias in "alias"',
  ),
  alias: pattern(
    ALIAS_NAME,
    () =>
      'must be a Lambda alias name: 1 to 128 letters, digits, "-" or "_", and not only digits ' +
      '(that would be a version number), e.g. "live"',
  ),
  image: strict({
    repository: pattern(
      ECR_REPOSITORY,
      () =>
        'must be an ECR repository name: 2 to 256 lower-case letters, digits, ".", "_", "-" and "/" ' +
        'between segments, e.g. "my-repository-name"',
    ),
    // Optional when "github" names the artifact: a release's tag or a deployment's sha is the image tag.
    tag: pattern(
      IMAGE_TAG,
      () =>
        'must be an image tag: up to 128 letters, digits, "_", "." or "-", not starting with "." or "-", e.g. "latest"',
    ).optional(),
  }).optional(),
  github: strict({
    repository: pattern(GITHUB_REPOSITORY, () => 'must be "owner/name", e.g. "octo-org/api"'),
    on: z
      .array(oneOf(GITHUB_EVENTS, "GitHub event"))
      .min(1, { error: 'list the events that deploy: ["release"], ["deployment"] or both' }),
  }).optional(),
  strategy: Strategy,
  alarms: z
    .array(
      z
        .string()
        .min(1, { error: "is empty; write the CloudWatch alarm's name" })
        .max(255, { error: "is longer than CloudWatch's 255-character limit for alarm names" }),
    )
    .default([]),
  gates: strict({
    scan: strict({
      threshold: oneOf(SCAN_SEVERITIES, "severity"),
      timeout: duration(false).default("30m"),
    }).optional(),
  }).prefault({}),
  alarmHold: strict({
    interval: duration(false).default("1m"),
    maxWait: duration(false).default("15m"),
  })
    .superRefine((hold, ctx) => {
      const interval = readDuration(hold.interval);
      const maxWait = readDuration(hold.maxWait);
      if ("seconds" in interval && "seconds" in maxWait && maxWait.seconds < interval.seconds) {
        ctx.addIssue({
          code: "custom",
          path: ["maxWait"],
          message:
            `must be at least the interval (${hold.interval}): alarms are checked every interval, and maxWait ` +
            "bounds how long INSUFFICIENT_DATA may hold a step",
        });
      }
    })
    .prefault({}),
  dryRun: z.boolean().default(false),
})
  .superRefine((deployment: Record<string, unknown>, ctx) => {
    const image = deployment.image as { tag?: unknown } | undefined;
    if (image === undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          deployment.github === undefined
            ? 'needs an artifact source: add "image": { "repository": "...", "tag": "..." } to deploy on ECR pushes, ' +
              'or "github": { "repository": "owner/name", "on": ["release"] } with "image": { "repository": "..." }'
            : 'needs "image": { "repository": "..." }: a GitHub release\'s tag (or a deployment\'s sha) names an image in that ECR repository',
      });
    } else if (image.tag === undefined && deployment.github === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["image", "tag"],
        message:
          'is missing: add the tag whose ECR pushes deploy (e.g. "latest"), or add "github" to deploy on releases',
      });
    }
  }, evenWithOtherIssues)
  .transform(({ strategy, gates, alarmHold, ...rest }) => ({
    ...rest,
    strategyName: strategyName(strategy),
    steps: strategySteps(strategy),
    gates: gates.scan ? { scan: { threshold: gates.scan.threshold } } : {},
    scanTimeoutSeconds: gates.scan ? seconds(gates.scan.timeout) : undefined,
    alarmHoldIntervalSeconds: seconds(alarmHold.interval),
    alarmHoldMaxSeconds: seconds(alarmHold.maxWait),
  }));

// ---- secrets (rotation) ----------------------------------------------------------------------

const SECRET_ID =
  /^(?:[A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-zA-Z-]*:secretsmanager:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/;
const ROTATION_SCHEDULE = /^(?:rate\((?:[1-9]\d{0,2}) (?:hours?|days?)\)|cron\([^)]+\))$/;

const Rotator = z.string().superRefine((name, ctx) => {
  if ((ROTATOR_NAMES as readonly string[]).includes(name)) return;
  const near = closest(name, ROTATOR_NAMES);
  ctx.addIssue({
    code: "custom",
    message: `unknown rotator "${name}"; ${near ? `did you mean "${near}"? ` : ""}rotators: ${ROTATOR_NAMES.join(", ")}`,
  });
});

const Secret = strict({
  name: pattern(
    DEPLOYMENT_NAME,
    (input) =>
      `must be 1 to 40 lower-case letters, digits or "-" (it names executions), e.g. "${slug(input)}"`,
  ),
  secretId: pattern(SECRET_ID, () => 'must be a Secrets Manager secret name or ARN, e.g. "prod/api/key"'),
  rotator: Rotator,
  options: z.record(z.string(), z.unknown()).default({}),
  schedule: pattern(
    ROTATION_SCHEDULE,
    () =>
      'must be a Secrets Manager rotation schedule: "rate(7 days)", "rate(12 hours)" or "cron(0 4 ? * SUN *)"',
  ).default("rate(7 days)"),
  /** The secret's own rotation function (rotator "custom"). */
  rotationFunction: pattern(FUNCTION_REF, () => "must be a Lambda function name or ARN").optional(),
  /** Which GitHub secret scanning alerts concern this secret. */
  leaks: strict({
    repositories: z
      .array(pattern(GITHUB_REPOSITORY, () => 'must be "owner/name", e.g. "octo-org/api"'))
      .min(1),
    secretTypes: z
      .array(z.string().min(1))
      .min(1, { error: 'list GitHub secret types, e.g. ["postgres_connection_string"]' }),
  }).optional(),
})
  .superRefine((secret: Record<string, unknown>, ctx) => {
    const rotator = secret.rotator as keyof typeof ROTATOR_OPTIONS;
    const schema = ROTATOR_OPTIONS[rotator];
    if (!schema) return;
    const options = schema.safeParse(secret.options ?? {});
    for (const issue of options.success ? [] : options.error.issues)
      ctx.addIssue({ code: "custom", path: ["options", ...issue.path.map(String)], message: issue.message });
    if (rotator === "custom" && secret.rotationFunction === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rotationFunction"],
        message: 'rotator "custom" needs the rotation function\'s name or ARN',
      });
    if (rotator !== "custom" && secret.rotationFunction !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rotationFunction"],
        message: `Switchyard's rotation function rotates "${rotator}" secrets; remove rotationFunction or use rotator "custom"`,
      });
  }, evenWithOtherIssues)
  .transform((secret) => ({
    ...secret,
    options: ROTATOR_OPTIONS[secret.rotator as keyof typeof ROTATOR_OPTIONS].parse(secret.options) as Record<
      string,
      unknown
    >,
  }));

// ---- failover runbooks ------------------------------------------------------------------------

// Patterns follow the RDS, Route 53 and SSM API references.
const DB_IDENTIFIER = /^[a-zA-Z](?:-?[a-zA-Z0-9])*$/;
const HOSTED_ZONE_ID = /^(?:\/hostedzone\/)?Z[A-Z0-9]{1,31}$/;
const SSM_PARAMETER = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const HEALTH_CHECK_ID = /^[0-9a-fA-F-]{1,64}$/;
const DNS_TYPES = ["A", "AAAA", "CNAME"] as const;

const Runbook = strict({
  name: pattern(
    DEPLOYMENT_NAME,
    (input) =>
      `must be 1 to 40 lower-case letters, digits or "-" (it names executions), e.g. "${slug(input)}"`,
  ),
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
    timeout: duration(false).default("30m"),
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
  }).optional(),
  rto: duration(false).default("15m"),
  rpo: duration(false).default("15m"),
  cooldown: duration(true).default("1h"),
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
    const failback = runbook.failback as { replica?: unknown } | undefined;
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
    approval: { timeoutSeconds: seconds(approval.timeout), autoApprove: approval.autoApprove },
    rtoSeconds: seconds(rto),
    rpoSeconds: seconds(rpo),
    cooldownSeconds: seconds(cooldown),
  }));

/** What no two deployments may share, and why; keys are read leniently so the check runs alongside other issues. */
const UNIQUE: {
  field: string;
  key: (deployment: Record<string, unknown>, functionArn: (name: string) => string) => string | undefined;
  message: (first: number, firstDeployment: Record<string, unknown>) => string;
}[] = [
  {
    field: "name",
    key: (d) => (typeof d.name === "string" ? d.name : undefined),
    message: (first, d) =>
      `"${String(d.name)}" is already the name of deployments[${first}]; give each deployment a unique name`,
  },
  {
    field: "alias",
    key: (d, functionArn) =>
      typeof d.function === "string" && typeof d.alias === "string"
        ? `${functionArn(d.function)}:${d.alias}`
        : undefined,
    message: (first, d) =>
      `deployments[${first}] ("${String(d.name)}") already shifts alias "${String(d.alias)}" of ${String(d.function)}; ` +
      "two deployments on one alias would fight over its traffic, so remove one or point it at another alias",
  },
  {
    field: "image",
    key: (d) =>
      isRecord(d.image) && typeof d.image.repository === "string" && typeof d.image.tag === "string"
        ? `${d.image.repository}:${d.image.tag}`
        : undefined,
    message: (first, d) => {
      const image = isRecord(d.image) ? `${String(d.image.repository)}:${String(d.image.tag)}` : "";
      return (
        `deployments[${first}] ("${String(d.name)}") already deploys ${image}; which one should a push of it deploy? ` +
        "Give each deployment its own repository or tag"
      );
    },
  },
];

function crossDeploymentIssues(config: Record<string, unknown>, ctx: z.RefinementCtx) {
  const deployments = config.deployments;
  if (!Array.isArray(deployments)) return;
  // A name and an ARN can denote the same function; the default partition is enough for equality here.
  const functionArn = (name: string) =>
    name.startsWith("arn:")
      ? name
      : `arn:aws:lambda:${String(config.region)}:${String(config.account)}:function:${name}`;
  for (const rule of UNIQUE) {
    const seen = new Map<string, number>();
    deployments.forEach((deployment: unknown, index) => {
      if (!isRecord(deployment)) return;
      const key = rule.key(deployment, functionArn);
      if (key === undefined) return;
      const first = seen.get(key);
      const firstDeployment: unknown = first === undefined ? undefined : deployments[first];
      if (first === undefined || !isRecord(firstDeployment)) {
        seen.set(key, index);
        return;
      }
      ctx.addIssue({
        code: "custom",
        path: ["deployments", index, rule.field],
        message: rule.message(first, firstDeployment),
      });
    });
  }
}

/** The whole configuration; every default is here. */
export const ConfigSchema = strict({
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
  deployments: z.array(Deployment).default([]),
  secrets: z.array(Secret).default([]),
  /** Where rotate-on-leak resolves GitHub secret scanning alerts: a token with secret_scanning_alerts write. */
  secretScanning: strict({
    tokenSecret: z.string().min(1, { error: "name the secret that holds the GitHub token" }),
    apiUrl: z
      .url({ error: 'must be the GitHub REST API URL, e.g. "https://api.github.com"' })
      .default("https://api.github.com"),
  }).optional(),
  failover: strict({ runbooks: z.array(Runbook).default([]) }).prefault({}),
  /** Cost Anomaly Detection responses: rules, tiers, actions, protected tags (cost/config.ts). */
  cost: CostSchema,
  notifications: strict({
    topicArn: pattern(
      SNS_TOPIC_ARN,
      () => 'must be an SNS topic ARN, e.g. "arn:aws:sns:us-east-1:123456789012:switchyard-notifications"',
    ).optional(),
  }).prefault({}),
  safety: strict({
    paused: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    actionLimit: strict({
      max: z
        .number()
        .int({ error: "must be a whole number of actions" })
        .min(1, { error: "must be at least 1; to stop all automation set safety.paused to true instead" })
        .default(20),
      window: duration(false).default("1h"),
    })
      .prefault({})
      .transform(({ max, window }) => ({ max, windowSeconds: seconds(window) })),
  }).prefault({}),
}).superRefine(crossDeploymentIssues, evenWithOtherIssues);

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
