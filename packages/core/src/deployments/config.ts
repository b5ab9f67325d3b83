import * as z from "zod";
import { formatDuration } from "../config/duration.ts";
import {
  customStepProblems,
  customTrafficSteps,
  PRESET_NAMES,
  strategyName,
  strategySteps,
} from "../config/strategy.ts";
import { closest } from "../config/suggest.ts";
import {
  ALIAS_NAME,
  duration,
  EXECUTION_PART,
  evenWithOtherIssues,
  evenWithOtherItemIssues,
  FUNCTION_REF,
  GITHUB_REPOSITORY,
  isRecord,
  oneOf,
  pattern,
  slug,
  strict,
} from "../config/zod.ts";
import { windowProblem } from "./slo.ts";
import {
  ON_TIMEOUT,
  PROBE_BUDGET_SECONDS,
  probeSeconds,
  SCAN_SEVERITIES,
  SUPPRESSED_ALARM_POLICIES,
} from "./vocabulary.ts";

/**
 * The `deployments` section of the config: what shifts which alias, on which artifact, by which
 * strategy, guarded by which alarms. Every default of a deployment is in this file.
 */

const GITHUB_EVENTS = ["release", "deployment"] as const;

// Patterns follow the AWS API references (ECR) and the Docker image reference grammar.
const ECR_REPOSITORY = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

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
    .array(
      strict({ weight: z.number(), pause: duration({ allowZero: true, withinExecution: true }).optional() }),
    )
    .superRefine((steps, ctx) => {
      for (const problem of customStepProblems(steps)) ctx.addIssue({ code: "custom", ...problem });
    }, evenWithOtherItemIssues),
});

const Strategy = z.union([PresetStrategy, CustomSteps], {
  error: `must be a preset (${PRESET_NAMES.join(", ")}) or custom steps: { "steps": [{ "weight": 10, "pause": "5m" }, { "weight": 100 }] }`,
});

const AlarmName = z
  .string()
  .min(1, { error: "is empty; write the CloudWatch alarm's name" })
  .max(255, { error: "is longer than CloudWatch's 255-character limit for alarm names" });

// The fields whose runtime lives in its own module (slo.ts, version-alarms.ts, notify.ts,
// github/statuses.ts, analysis.ts, gates.ts, hooks.ts) are written here, not there: esbuild keeps
// every top-level call of a module it bundles, so a schema beside the runtime code would be built
// by every function that imports that code (ADR 0035). The runtime modules take their types from
// `Deployment`.

// --- slo (slo.ts, ADR 0028)
const SloMetric = strict({
  namespace: z.string().min(1).max(255),
  metricName: z.string().min(1).max(255),
  dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).default({}),
});

/** A deployment's `slo` field. */
const SloSchema = strict({
  /** The objective in percent of good events, e.g. 99.9. */
  objective: z
    .number()
    .gt(0, { error: "must be a percentage above 0, e.g. 99.9" })
    .lt(100, { error: "must be below 100: an objective of 100% leaves no error budget" }),
  window: duration({ example: "1d" }).superRefine((seconds, ctx) => {
    const problem = windowProblem(seconds);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  /** Good and total events; both or neither (default: the alias's invocations and errors). */
  good: SloMetric.optional(),
  total: SloMetric.optional(),
  /** At 80% of the budget consumed: "freeze" (default) new deployments pending approval, or "rollback". */
  onCritical: z.enum(["freeze", "rollback"]).default("freeze"),
})
  .superRefine((slo, ctx) => {
    if ((slo.good === undefined) !== (slo.total === undefined))
      ctx.addIssue({
        code: "custom",
        path: [slo.good === undefined ? "good" : "total"],
        message:
          'is missing: name both "good" and "total" metrics, or neither for the alias\'s success rate (AWS/Lambda Invocations and Errors)',
      });
  })
  .optional();

// --- versionAlarms (version-alarms.ts, ADR 0026)
const COMPARISONS = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;

const VersionAlarmTemplate = strict({
  /** The alarm's last name part: `switchyard-<deployment>-v<version>-<name>`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be lowercase letters, digits and dashes, e.g. errors"),
  /** An AWS/Lambda metric of the version (Errors, Duration, Throttles, Invocations...). */
  metric: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, "must be an AWS/Lambda metric name, e.g. Errors"),
  /** Sum, Average, Minimum, Maximum, SampleCount, or a percentile such as p99. */
  statistic: z
    .string()
    .regex(
      /^(Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/,
      "must be Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99",
    )
    .default("Sum"),
  threshold: z.number(),
  comparison: z.enum(COMPARISONS).default("GreaterThanOrEqualToThreshold"),
  /** How many consecutive periods must breach. */
  periods: z.number().int().min(1).max(10).default(1),
  // PutMetricAlarm: "Valid values are 10, 20, 30, and any multiple of 60" (API_PutMetricAlarm.html);
  // Lambda's metrics are standard resolution, so a multiple of 60.
  period: duration({ example: "1m" })
    .prefault("1m")
    .refine((s) => s % 60 === 0, "must be whole minutes, e.g. 1m: Lambda's metrics have 1-minute resolution"),
});

/** The deployment's `versionAlarms` field. */
const VersionAlarms = z.array(VersionAlarmTemplate).optional();

// --- notify (notify.ts, ADR 0029)
/** `deployments[].notify`: where deploy notices go besides `notifications.topicArn`. */
const DeployNotifySchema = z.strictObject({
  /** A Slack-compatible incoming webhook (receives `{ text, blocks }`), as `cost.webhookUrl`. */
  webhookUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
});

// --- github.statuses (github/statuses.ts, ADR 0029)
/** `deployments[].github.statuses`: write deployment and commit statuses back to GitHub. */
const GithubStatusSchema = z.strictObject({
  /** The Secrets Manager secret (name or ARN) whose SecretString is a GitHub token with `repo_deployment` and `repo:status`. */
  tokenSecret: z.string().min(1, { error: "name the Secrets Manager secret that holds the GitHub token" }),
  /** GitHub's API (GitHub Enterprise Server: https://HOST/api/v3). */
  apiUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("https://api.github.com"),
  /** The log URL shown on GitHub; `{execution}` is replaced by the execution's name. */
  logUrl: z.string().optional(),
  /** The environment of deployments created for releases (a deployment event names its own). */
  environment: z.string().min(1).default("production"),
});

// --- analysis (analysis.ts, ADR 0026)
const LAMBDA_METRICS = ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"] as const;

const AnalysisMetricRef = strict({
  metric: z.enum(LAMBDA_METRICS),
  stat: z
    .string()
    .regex(
      /^(Sum|Average|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/,
      "must be Sum, Average, Minimum, Maximum, SampleCount or a percentile such as p99",
    )
    .default("Sum"),
});

const AnalysisMetric = strict({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be lowercase letters, digits and dashes"),
  /** A built-in query: errorRate (Errors / Invocations, 0..1) or p99Duration (milliseconds). */
  kind: z.enum(["errorRate", "p99Duration"]).optional(),
  /**
   * Or any metric-math expression over `metrics` (ids: lowercase letter first), e.g.
   * "errors / invocations * 100" with errors = Errors Sum, invocations = Invocations Sum.
   */
  expression: z.string().min(1).optional(),
  metrics: z
    .record(z.string().regex(/^[a-z][A-Za-z0-9_]*$/, "ids start with a lowercase letter"), AnalysisMetricRef)
    .optional(),
  /** The check passes while the value is at most `max` and at least `min`. */
  max: z.number().optional(),
  min: z.number().optional(),
}).superRefine((m, ctx) => {
  if ((m.kind === undefined) === (m.expression === undefined))
    ctx.addIssue({
      code: "custom",
      message: 'needs either "kind" (errorRate | p99Duration) or "expression"',
    });
  if (m.expression !== undefined && !m.metrics)
    ctx.addIssue({
      code: "custom",
      path: ["metrics"],
      message: "an expression needs the metrics its ids name",
    });
  if (m.max === undefined && m.min === undefined)
    ctx.addIssue({ code: "custom", message: 'needs a bound: "max", "min" or both' });
});

/** The deployment's `analysis` field. */
const Analysis = strict({
  metrics: z.array(AnalysisMetric).min(1),
  /** Failed checks (summed over the deployment) that roll it back. */
  failureLimit: z.number().int().min(1).default(2),
  /** How far back each check reads the version's metrics. */
  // GetMetricData's Period (the window here) is a multiple of 60 for metrics older than 3 hours
  // and for standard-resolution metrics such as Lambda's (API_MetricStat.html).
  window: duration({ example: "5m" })
    .prefault("5m")
    .refine((s) => s % 60 === 0, "must be whole minutes, e.g. 5m: Lambda's metrics have 1-minute resolution"),
}).optional();

// --- approvals (gates.ts, ADR 0027)
const ApprovalGate = strict({
  /** The step (1 = the first shift) that waits for approval before it shifts. */
  beforeStep: z.number().int().min(1, { error: "must be a step number, 1 for the first shift" }),
  timeout: duration({ withinExecution: true, example: "1h" }).prefault("1h"),
  /** What the end of the timeout does: "rollback" (default) the deployment, or "promote": go on as if approved. */
  onTimeout: z.enum(ON_TIMEOUT).default("rollback"),
});

/** The deployment's `approvals` field. */
const ApprovalGates = z.array(ApprovalGate).optional();

/** Problems of a deployment's approvals against its steps (run once the strategy is known). */
function approvalProblems(
  approvals: z.output<typeof ApprovalGates>,
  stepCount: number,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  (approvals ?? []).forEach((gate, index) => {
    const first = approvals?.findIndex((g) => g.beforeStep === gate.beforeStep) ?? index;
    if (gate.beforeStep > stepCount)
      problems.push({
        path: ["approvals", index, "beforeStep"],
        message: `is ${gate.beforeStep}, but the strategy has ${stepCount} step(s): name a step from 1 to ${stepCount}`,
      });
    else if (first !== index)
      problems.push({
        path: ["approvals", index, "beforeStep"],
        message: `step ${gate.beforeStep} already waits for approvals[${first}]; remove the copy`,
      });
  });
  return problems;
}

// --- hooks (hooks.ts, ADR 0027)
const LambdaHook = strict({
  function: pattern(
    FUNCTION_REF,
    () => 'must be the hook\'s Lambda function name or ARN, e.g. "api-smoke-test"',
  ),
  /** CodeDeploy gives a hook up to an hour to report; so does Switchyard by default here. */
  timeout: duration({ withinExecution: true, example: "5m" }).prefault("5m"),
});

const HttpProbe = strict({
  url: z.string().refine((text) => /^https?:\/\/[^\s]+$/.test(text) && URL.canParse(text), {
    error: 'must be an http:// or https:// URL, e.g. "https://api.example.com/health"',
  }),
  expectedStatus: z.number().int().min(100).max(599).default(200),
  /** A regular expression the response body must match. */
  bodyMatch: z
    .string()
    .refine(
      (text) => {
        try {
          new RegExp(text);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'must be a regular expression, e.g. "\\"status\\":\\s*\\"ok\\""' },
    )
    .optional(),
  timeout: duration({ example: "5s" }).prefault("5s"),
  retries: z.number().int().min(0).max(5).default(2),
}).superRefine((probe, ctx) => {
  if (typeof probe.timeout !== "number") return;
  const budget = probeSeconds(probe);
  if (budget > PROBE_BUDGET_SECONDS)
    ctx.addIssue({
      code: "custom",
      message: `(retries + 1) × timeout comes to ${budget} s; a probe must finish within ${PROBE_BUDGET_SECONDS} s (one deploy step): lower the timeout or the retries`,
    });
});

const Hook = z.union([strict({ lambda: LambdaHook }), strict({ http: HttpProbe })], {
  error:
    'must be { "lambda": { "function": "NAME", "timeout": "5m" } } or { "http": { "url": "https://…", "expectedStatus": 200 } }',
});

/** The deployment's `hooks` field: the hooks of each lifecycle event, run in order. */
const TrafficHooks = strict({
  beforeAllowTraffic: z.array(Hook).default([]),
  afterAllowTraffic: z.array(Hook).default([]),
}).optional();

export const DeploymentSchema = strict({
  name: pattern(
    EXECUTION_PART,
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
    statuses: GithubStatusSchema.optional(),
  }).optional(),
  strategy: Strategy,
  alarms: z
    .array(AlarmName)
    .superRefine((alarms, ctx) => {
      // A name listed twice is a slip (usually a copy meant to be another alarm), never a stronger guard.
      alarms.forEach((alarm, index) => {
        const first = alarms.indexOf(alarm);
        if (first !== index)
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `"${alarm}" is already listed as alarms[${first}]; remove the copy or name the alarm you meant`,
          });
      });
    }, evenWithOtherItemIssues)
    .default([]),
  gates: strict({
    scan: strict({
      threshold: oneOf(SCAN_SEVERITIES, "severity"),
      timeout: duration({ withinExecution: true }).prefault("30m"),
    }).optional(),
  }).prefault({}),
  alarmHold: strict({
    interval: duration({ withinExecution: true }).prefault("1m"),
    maxWait: duration({ withinExecution: true }).prefault("15m"),
  })
    .superRefine((hold, ctx) => {
      if (
        typeof hold.interval === "number" &&
        typeof hold.maxWait === "number" &&
        hold.maxWait < hold.interval
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["maxWait"],
          message:
            `must be at least the interval (${formatDuration(hold.interval)}): alarms are checked every interval, and maxWait ` +
            "bounds how long INSUFFICIENT_DATA may hold a step",
        });
      }
    })
    .prefault({}),
  /**
   * What a guarding composite alarm in ALARM does while a suppressor alarm holds its actions back
   * (muted): "rollback" (default) rolls back anyway, "ignore" honours the suppression and only
   * records it (docs/decisions/0014-suppressed-alarms.md).
   */
  suppressedAlarms: oneOf(SUPPRESSED_ALARM_POLICIES, "suppressed-alarm policy").default("rollback"),
  dryRun: z.boolean().default(false),
  /**
   * A newer push while this deployment shifts: "supersede" rolls the one in flight back to the
   * stable version and starts the new one (as Flagger and Argo Rollouts restart on a new
   * revision); "queue" starts it when the one in flight ends; "reject" refuses it. Always
   * audited and notified (docs/decisions/0018-newer-image-policy.md).
   */
  onNewerImage: z.enum(["supersede", "queue", "reject"]).default("supersede"),
  notify: DeployNotifySchema.optional(),
  /** Traffic hooks, CodeDeploy's BeforeAllowTraffic / AfterAllowTraffic (hooks.ts, ADR 0027). */
  hooks: TrafficHooks,
  /** Manual approval gates before steps (gates.ts, ADR 0027). */
  approvals: ApprovalGates,
  /** Analysis of the new version before each step, and alarms on its own metrics (ADR 0026). */
  analysis: Analysis,
  versionAlarms: VersionAlarms,
  /** The SLO whose error budget guards this deployment (budget.ts, ADR 0028). */
  slo: SloSchema,
  /** The deployment whose succeeded digests this one deploys, e.g. staging (promotion.ts, ADR 0028). */
  promoteFrom: pattern(EXECUTION_PART, () => "must be the name of another deployment").optional(),
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
    } else if (
      image.tag === undefined &&
      deployment.github === undefined &&
      deployment.promoteFrom === undefined
    ) {
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
    steps: typeof strategy === "string" ? strategySteps(strategy) : customTrafficSteps(strategy.steps),
    gates: gates.scan ? { scan: { threshold: gates.scan.threshold } } : {},
    // Absent rather than undefined: the parsed config goes to the functions as JSON (config/prepared.ts).
    ...(gates.scan?.timeout === undefined ? {} : { scanTimeoutSeconds: gates.scan.timeout }),
    alarmHoldIntervalSeconds: alarmHold.interval,
    alarmHoldMaxSeconds: alarmHold.maxWait,
  }))
  .superRefine((d, ctx) => {
    for (const problem of approvalProblems(d.approvals, d.steps.length))
      ctx.addIssue({ code: "custom", ...problem });
  });

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

/** The checks across deployments, run on the whole config (a name and an ARN may denote one function). */
export function crossDeploymentIssues(config: Record<string, unknown>, ctx: z.RefinementCtx) {
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
  promotionIssues(config, ctx);
}

/** Cross-deployment checks of `promoteFrom`: an existing other deployment of the same repository, no cycle. */
export function promotionIssues(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const deployments = Array.isArray(config.deployments) ? config.deployments.filter(isRecord) : [];
  const byName = new Map(deployments.map((d) => [String(d.name), d]));
  for (const [index, d] of deployments.entries()) {
    const message = promotionProblem(byName, d);
    if (message) ctx.addIssue({ code: "custom", path: ["deployments", index, "promoteFrom"], message });
  }
}

function promotionProblem(
  byName: Map<string, Record<string, unknown>>,
  d: Record<string, unknown>,
): string | undefined {
  if (typeof d.promoteFrom !== "string") return undefined;
  const issue = (message: string) => message;
  const source = byName.get(d.promoteFrom);
  if (!source)
    return issue(
      `names no deployment: "${d.promoteFrom}" is not in deployments (${[...byName.keys()].join(", ")}); name the staging deployment this one promotes from`,
    );
  if (source === d)
    return issue("names this deployment itself: name the staging deployment it promotes from");
  const repo = (x: Record<string, unknown>) => (isRecord(x.image) ? x.image.repository : undefined);
  if (repo(source) !== repo(d))
    return issue(
      `"${d.promoteFrom}" deploys images of ${String(repo(source))}, this one of ${String(repo(d))}: a promoted digest must be in the same ECR repository; use one repository for both`,
    );
  const seen = new Set([d.name]);
  for (let at = source; typeof at.promoteFrom === "string"; ) {
    if (seen.has(at.promoteFrom))
      return issue(
        `promotes in a circle (${[...seen, at.promoteFrom].join(" → ")}): one deployment must start by push`,
      );
    seen.add(at.promoteFrom);
    const next = byName.get(at.promoteFrom);
    if (!next) break;
    at = next;
  }
}
