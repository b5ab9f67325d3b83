import * as z from "zod";
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

/** The typed identity `switchyard.config.ts` default-exports, so an editor checks the file as it is written. */
export function defineConfig(input: ConfigInput): ConfigInput {
  return input;
}
