/**
 * Every verb of `switchyard`, as data: its help, its options and where its code is. `main.ts`
 * parses, helps and suggests from this table alone and imports a verb's module only to run it,
 * so `--help` answers without loading the AWS SDK or the control plane.
 *
 * Adding a verb is one entry here and one module under `commands/` that exports
 * `run(input: VerbInput): Promise<number>` (0 ok, 1 operational failure; throw `UsageError`
 * for 2).
 */

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The value's placeholder in help, for string options. */
  readonly arg?: string;
  readonly help: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

/** What a verb's `run` receives: its positional arguments and its parsed options. */
export interface VerbInput {
  readonly verb: string;
  readonly args: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

export interface VerbModule {
  run(input: VerbInput): Promise<number>;
}

export interface Verb {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** Usage lines, without the leading "switchyard ". */
  readonly usage: readonly string[];
  /** What the verb does, in a few lines. */
  readonly details?: string;
  readonly options: Options;
  readonly examples?: readonly string[];
  /** Words the first argument may be (failover start|…), for suggestions. */
  readonly actions?: readonly string[];
  load(): Promise<VerbModule>;
}

/** Options every verb takes. */
export const GLOBAL_OPTIONS: Options = {
  help: { type: "boolean", short: "h", help: "show this verb's help" },
  verbose: {
    type: "boolean",
    help: "more detail: the functions' JSON logs and every reaction's no-action line, on stderr",
  },
};

const json: Options = { json: { type: "boolean", help: "print the data as one JSON document on stdout" } };
const config: Options = {
  config: {
    type: "string",
    arg: "FILE",
    help: "switchyard.config.ts (default) or a .json file of the same shape",
  },
};
const aws: Options = {
  aws: { type: "boolean", help: "act on the real account (credentials from the usual AWS chain)" },
  profile: { type: "string", arg: "NAME", help: "with --aws: the AWS profile (as AWS_PROFILE)" },
  region: {
    type: "string",
    arg: "REGION",
    help: "with --aws: the stack's region; must be the config's region (the default)",
  },
  stage: {
    type: "string",
    arg: "STAGE",
    help: "with --aws: the stage given to `sst deploy` (default: SST's .sst/outputs.json, then .sst/stage)",
  },
  table: {
    type: "string",
    arg: "NAME",
    help: "with --aws: the state table by name (default: the stack's output, or SWITCHYARD_TABLE)",
  },
};
const dryRun: Options = {
  "dry-run": {
    type: "boolean",
    help: "read for real, record the writes as a plan instead of sending them",
  },
};
const reason: Options = {
  reason: { type: "string", arg: "TEXT", help: "why (required; recorded in the audit log)" },
};
const by: Options = {
  by: { type: "string", arg: "NAME", help: "who (recorded in the audit log; default $USER)" },
};

const ops = (name: string, summary: string, usage: string, extra: Options, details?: string): Verb => ({
  name,
  summary,
  usage: [usage],
  ...(details ? { details } : {}),
  options: { ...config, ...json, ...aws, ...extra },
  load: () => import("./ops.ts"),
});

/** deploy, retry, abort: operator control of one deployment (ADR 0029). */
const OPERATOR_VERBS: readonly {
  name: string;
  summary: string;
  usage: string;
  details: string;
  options: Options;
}[] = [
  {
    name: "deploy",
    summary: "start a deployment by hand, or break-glass: straight to 100%",
    usage: "deploy DEPLOYMENT --image URI|--tag TAG [--break-glass --reason TEXT [--force]] --aws",
    details:
      "Starts the deployment of the image (by tag or URI of the deployment's repository) through the\n" +
      "same path as an ECR push: scan gate, steps, alarm checks, newer-image policy, action limit.\n" +
      "--break-glass skips the gates and the steps (one step to 100%), supersedes a rollout in\n" +
      "flight, needs --reason, and is audited and notified loudly; refused while the rollout is\n" +
      "paused unless --force, and always while automation is paused (the kill switch stays).",
    options: {
      image: {
        type: "string",
        arg: "URI",
        help: "the image, ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or …@sha256:…",
      },
      tag: { type: "string", arg: "TAG", help: "the image tag in the deployment's repository" },
      "break-glass": { type: "boolean", help: "skip gates and steps: 100% at once (needs --reason)" },
      force: { type: "boolean", help: "with --break-glass: go ahead even while the rollout is paused" },
    },
  },
  {
    name: "retry",
    summary: "redrive a deployment's failed execution from its failed state",
    usage: "retry DEPLOYMENT --reason TEXT --aws",
    details:
      "Step Functions RedriveExecution: only an execution that failed, timed out or was aborted in\n" +
      "the last 14 days, and only while the deployment record still names it as shifting.",
    options: {},
  },
  {
    name: "abort",
    summary: "roll back the rollout in flight: alias to stable, execution stopped",
    usage: "abort DEPLOYMENT --reason TEXT --aws",
    details: "The rollout's generation advances, so its execution writes nothing more.",
    options: {},
  },
  {
    name: "unfreeze",
    summary: "lift a deployment's error-budget freeze: new deployments of it start again",
    usage: "unfreeze DEPLOYMENT --reason TEXT --aws",
    details:
      "An exhausted (or critical) error budget freezes a deployment (ADR 0028). While a budget alarm\n" +
      "is still in ALARM, new deployments stay refused after the freeze is lifted.",
    options: {},
  },
];

/** Where deploy|retry|abort and pause|resume DEPLOYMENT run: --aws here, or a running dev. */
function operatorHelp(name: string): Pick<Verb, "usage" | "examples"> {
  const local = "(locally: acts on the running `switchyard dev`)";
  if (name === "pause" || name === "resume")
    return {
      usage: [
        `${name} --reason TEXT [--aws] [--dry-run]`,
        `${name} DEPLOYMENT --reason TEXT [--aws] ${local}`,
      ],
      examples: [
        `${name} --reason "incident 42"`,
        `${name} api --reason "${name === "pause" ? "watch the 25% step" : "metrics look fine"}"`,
      ],
    };
  const verb = OPERATOR_VERBS.find((v) => v.name === name);
  return {
    usage: [`${verb?.usage ?? name} ${local}`],
    examples:
      name === "deploy"
        ? [
            "deploy api --tag v2 --aws",
            'deploy api --tag hotfix --break-glass --reason "INC-42 outage" --aws',
          ]
        : [`${name} api --reason "INC-42" --aws`],
  };
}

export const VERBS: readonly Verb[] = [
  {
    name: "showcase",
    summary: "play the showcase: a canary rolled back by an alarm, then a clean deploy",
    usage: ["showcase [--config FILE]"],
    options: { ...config },
    load: () => import("./scenario.ts"),
  },
  {
    name: "replay",
    summary: "run EventBridge events through the local control plane and report every reaction",
    usage: [
      "replay [--config FILE] [--json] [--strict] [--summary] FILE...",
      "replay --from EVENTS.jsonl [--summary] [--config FILE] [--json] [--strict]",
    ],
    details:
      "Each FILE holds one EventBridge event or a JSON array of them (or the Lambda SNS event of a\n" +
      "Cost Anomaly Detection alert). Events are delivered in order; after the last, timers run out\n" +
      "on the virtual clock. Rejected events are reported with their reason.\n" +
      "--from streams a JSON-lines file (one event per line, e.g. a month of recorded events) with a\n" +
      "progress bar on stderr and memory that does not grow with the file, and prints counts.",
    options: {
      ...config,
      ...json,
      strict: { type: "boolean", help: "exit 1 when any event is rejected" },
      from: { type: "string", help: "stream the events of a JSON-lines file", arg: "EVENTS.jsonl" },
      summary: { type: "boolean", help: "print counts only (what --from always prints)" },
    },
    examples: ["replay --json test/fixtures/scenarios/canary-rolled-back.json"],
    load: () => import("./replay.ts"),
  },
  {
    name: "scenario",
    summary: "play a built-in scenario on the simulated account",
    usage: ["scenario --list [--json]", "scenario NAME [--config FILE] [--json] [--verbose]"],
    details:
      "Exits 0 when the scenario ends as expected, 1 otherwise (naming each unmet expectation).\n" +
      "--json prints the result with a structured timeline ({t, at, component, message}).",
    options: {
      ...config,
      ...json,
      list: { type: "boolean", help: "name the built-in scenarios" },
    },
    examples: ["scenario --list", "scenario canary-rollback", "scenario database-failure --json"],
    load: () => import("./scenario.ts"),
  },
  {
    name: "invoke",
    summary: "invoke one Switchyard function with the payload in FILE",
    usage: ["invoke [--config FILE] FUNCTION FILE"],
    options: { ...config, ...json },
    examples: ["invoke rollback test/fixtures/aws/cloudwatch/alarm-state-change-metric.json"],
    load: () => import("./invoke.ts"),
  },
  {
    name: "bench",
    summary: "the performance benchmark",
    usage: ["bench [--json] [--quick] [--check]"],
    options: {
      ...json,
      quick: { type: "boolean", help: "measure a little: proves the bench runs, not the numbers" },
      check: { type: "boolean", help: "exit 1 when a target is missed" },
    },
    load: () => import("./bench.ts"),
  },
  {
    name: "validate",
    summary: "check a config; with --aws, that what it names exists in the account",
    usage: ["validate [--config FILE] [--json] [--aws [--profile NAME]] [--prepare OUT]"],
    details:
      "Loads the config and reports every problem with its field and the fix. With --aws it also\n" +
      "checks that the functions, aliases, alarms, repositories and secrets it names exist. With\n" +
      "--prepare it writes a valid config as the functions read it (what the stack bundles), for\n" +
      "running a function by hand with SWITCHYARD_CONFIG_FILE.",
    options: {
      ...config,
      ...json,
      aws: aws.aws as OptionSpec,
      profile: aws.profile as OptionSpec,
      prepare: { type: "string", arg: "OUT", help: "write the config the functions read to this file" },
    },
    examples: [
      "validate",
      "validate --config examples/podinfo/switchyard.config.ts --aws --profile prod",
      "validate --prepare switchyard.config.json",
    ],
    load: () => import("./validate.ts"),
  },
  {
    name: "schema",
    summary: "print the JSON Schema of a JSON config (shipped as switchyard.schema.json)",
    usage: ["schema > switchyard.schema.json"],
    details:
      'A JSON config may start with "$schema": "./switchyard.schema.json" so editors check it as it is written.',
    options: {},
    load: () => import("./schema.ts"),
  },
  ops(
    "status",
    "what each alias serves, deployments in flight, alarms, the kill switch, secrets",
    "status [--aws] [--json]",
    {},
  ),
  ops(
    "history",
    "the audit log: every decision, including 'did nothing, because…'",
    "history [--aws] [--limit N] [--json]",
    { limit: { type: "string", arg: "N", help: "how many records (default 50)" } },
  ),
  {
    ...ops("pause", "the kill switch: pause all automation", "pause --reason TEXT [--aws] [--dry-run]", {
      ...reason,
      ...by,
      ...dryRun,
    }),
    ...operatorHelp("pause"),
  },
  {
    ...ops("resume", "lift the kill switch", "resume --reason TEXT [--aws] [--dry-run]", {
      ...reason,
      ...by,
      ...dryRun,
    }),
    ...operatorHelp("resume"),
  },
  ...OPERATOR_VERBS.map((v) =>
    ops(v.name, v.summary, v.usage, { ...reason, ...by, ...dryRun, ...v.options }, v.details),
  ).map((v): Verb => ({ ...v, ...operatorHelp(v.name), load: () => import("./operator.ts") })),
  {
    ...ops(
      "rollback",
      "put a deployment's alias back on the stable version, or --to an older one",
      "rollback DEPLOYMENT --reason TEXT [--aws] [--dry-run]",
      {
        ...reason,
        ...by,
        ...dryRun,
        to: {
          type: "string",
          arg: "VERSION",
          help: "go back to this published version (one Switchyard published for the deployment, or its stable one)",
        },
      },
      "Without --to: the alias goes back to 100% on the stable version of the deployment in flight\n" +
        "or of the last one, and its execution is stopped.\n" +
        "With --to VERSION: the alias goes to 100% on VERSION, which must be a version Switchyard\n" +
        "published for this deployment (or its recorded stable version) whose image no scan blocks;\n" +
        "the deployment's generation advances first, so no execution in flight writes again, and the\n" +
        "record names VERSION as stable. Events never go back to an older version; only this does.",
    ),
    usage: [
      "rollback DEPLOYMENT --reason TEXT [--aws] [--dry-run]",
      "rollback DEPLOYMENT --to VERSION --reason TEXT [--aws] [--dry-run]",
    ],
    examples: [
      'rollback api --reason "5xx after deploy"',
      'rollback api --to 3 --reason "bad migration in 4 and 5"',
    ],
  },
  ops(
    "promote",
    "skip the bake and put 100% on the new version",
    "promote DEPLOYMENT --reason TEXT [--aws] [--dry-run]",
    { ...reason, ...by, ...dryRun },
  ),
  ops(
    "abandon",
    "give up a stuck deployment: alias restored if it is its split, record settled",
    "abandon DEPLOYMENT --reason TEXT [--aws] [--dry-run]",
    { ...reason, ...by, ...dryRun },
  ),
  ...(["approve", "deny"] as const).map(
    (name): Verb => ({
      name,
      summary: `${name} a deployment step or a cost action waiting for approval`,
      usage: [
        `${name} DEPLOYMENT --reason TEXT [--aws] [--by NAME] [--json]`,
        `${name} ANOMALY_ID [--by NAME] [--json] FILE...`,
        `${name} ANOMALY_ID --aws [--by NAME]`,
      ],
      details:
        "A DEPLOYMENT's approval gate is answered on the running `switchyard dev` or, with --aws, in\n" +
        "the real account; who and why go into the audit log, and a stale wait is never answered.\n" +
        "For a cost action on the simulated account the alerts in FILE... are replayed first (the\n" +
        "account lasts as long as the command); with --aws the answer goes to the real account's waiting execution.",
      options: { ...config, ...json, ...aws, ...by, ...reason },
      load: () => import("./approval.ts"),
    }),
  ),
  {
    name: "failover",
    summary: "run a failover runbook, fail back, or answer its approval",
    usage: [
      "failover start RUNBOOK [--dry-run] [--by NAME] [--aws] [--json]",
      "failover failback|status|approve RUNBOOK --aws [--by NAME] [--json]",
      "failover deny RUNBOOK --aws --reason TEXT [--by NAME] [--json]",
    ],
    details:
      "Locally `start` runs on the simulated account and --by answers its approval; --dry-run\n" +
      "plans every write and makes none (game day). With --aws the run goes on in Step Functions.\n" +
      "`deny` rejects the run waiting for approval, or clears the approval of a run that ended\n" +
      "(stopped, failed or timed out) so the next failover is not blocked.",
    options: { ...config, ...json, ...aws, ...dryRun, ...by, ...reason },
    actions: ["start", "failback", "status", "approve", "deny"],
    load: () => import("./failover.ts"),
  },
];

export const verbNamed = (name: string): Verb | undefined => VERBS.find((v) => v.name === name);
