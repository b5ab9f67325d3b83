import type { Config } from "@switchyard/core/config/index";
import type { DeploymentAction } from "@switchyard/core/deployments/operator";
import type { AuditRecord } from "@switchyard/core/store/state";
import type { ControlPlane } from "../local/control-plane.ts";
import type { StatusWrite } from "./github.ts";

/**
 * The words a built-in scenario is written in. A scenario is data: the world it starts from,
 * the steps it takes (`push`, `scan`, `alarm`, `deliver`, `runOut`, `approve`, `failBack`...)
 * and what the world must look like afterwards (`aliasOn`, `auditSaid`...). One runner
 * (`../scenarios.ts`) plays the steps and checks the expectations.
 */

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

export type Step =
  /**
   * Pushes a new image for a deployment's repository:tag (ECR emits the push event); `tag`
   * pushes another tag of the repository (a release's, that a GitHub event names).
   */
  | { readonly do: "push"; readonly deployment: string; readonly tag?: string }
  /** Completes the basic scan of the deployment's last pushed image (ECR emits the scan event). */
  | { readonly do: "scan"; readonly deployment: string; readonly findings: Record<string, number> }
  /** Sets an alarm's state through CloudWatch's API (CloudWatch emits the state change event). */
  | { readonly do: "alarm"; readonly alarm: string; readonly state: AlarmState; readonly reason: string }
  /** Delivers the events of a JSON file under examples/, in order. */
  | { readonly do: "deliver"; readonly file: string }
  /** EventBridge delivers the first event of this detail-type it delivered once more. */
  | { readonly do: "redeliver"; readonly detailType: string }
  /** Pauses all automation (the kill switch), with the reason the audit log will give. */
  | { readonly do: "pause"; readonly reason: string }
  /** Moves the virtual clock forward, running what falls due. */
  | { readonly do: "advance"; readonly seconds: number }
  /** Runs timers out until executions end or wait for a human. */
  | { readonly do: "runOut" }
  /** A human approves what waits: a cost response (by anomaly) or a failover (by runbook). */
  | { readonly do: "approve"; readonly anomaly: string; readonly by: string }
  | { readonly do: "approve"; readonly runbook: string; readonly by: string }
  /** A human answers a deployment's approval gate (`switchyard approve|deny DEPLOYMENT --reason`). */
  | {
      readonly do: "answer";
      readonly deployment: string;
      readonly decision: "approve" | "deny";
      readonly by: string;
      readonly reason: string;
    }
  /** An operator starts the failback of a runbook that failed over. */
  | { readonly do: "failBack"; readonly runbook: string; readonly by: string }
  /**
   * An operator acts on one deployment (deploy, pause, resume, retry, abort: ADR 0029), after
   * pushing `pushTag` to its repository when given (a tag no deployment watches, e.g. a hotfix).
   */
  | { readonly do: "operate"; readonly action: OperateStep; readonly pushTag?: string }
  /** A note on the timeline; a function reads what it reports from the simulated account. */
  | { readonly do: "say"; readonly text: string | ((plane: ControlPlane) => string | Promise<string>) }
  /**
   * A managed secret's rotation schedule comes due: the clock moves to its NextRotationDate and
   * the rotation starts as Secrets Manager starts it (RotateSecret with the configured function).
   */
  | { readonly do: "rotationDue"; readonly secret: string }
  /**
   * GitHub delivers the secret scanning alert of @octokit/webhooks-examples (ghes-35, example 0,
   * with action "created", as test/fixtures/github/README.md explains) to the webhook receiver's
   * function URL, a real HTTP server, signed with HMAC-SHA256 by the webhook secret.
   */
  | { readonly do: "leak" }
  /**
   * GitHub delivers the api.github.com example 0 of this event from @octokit/webhooks-examples
   * (a `release` published, a `deployment` created: Codertocat/Hello-World), after `change`
   * (another tag, a later time), to the webhook receiver's function URL, signed as for `leak`.
   */
  | {
      readonly do: "github";
      readonly event: "release" | "deployment";
      readonly change?: (payload: GithubPayload) => void;
    }
  /** The next call (or `times` calls) of one AWS action fails with this error, as AWS can fail it. */
  | {
      readonly do: "fault";
      readonly service: string;
      readonly action: string;
      readonly error: string;
      readonly times: number;
    }
  /** An EventBridge scheduled rule of Switchyard's (e.g. "secrets-stuck-check") fires its Scheduled Event. */
  | { readonly do: "schedule"; readonly rule: string };

/** An operator's action in a scenario: the operator is "scenario" unless `by` says who. */
export type OperateStep = Omit<DeploymentAction, "by"> & { readonly by?: string };
export const operate = (action: OperateStep, pushTag?: string): Step => ({
  do: "operate",
  action,
  ...(pushTag ? { pushTag } : {}),
});
export const push = (deployment: string, tag?: string): Step => ({
  do: "push",
  deployment,
  ...(tag ? { tag } : {}),
});
export const scan = (deployment: string, findings: Record<string, number> = {}): Step => ({
  do: "scan",
  deployment,
  findings,
});
export const alarm = (name: string, state: AlarmState, reason: string): Step => ({
  do: "alarm",
  alarm: name,
  state,
  reason,
});
export const deliver = (file: string): Step => ({ do: "deliver", file });
export const redeliver = (detailType: string): Step => ({ do: "redeliver", detailType });
export const pause = (reason: string): Step => ({ do: "pause", reason });
export const advance = (seconds: number): Step => ({ do: "advance", seconds });
export const runOut = (): Step => ({ do: "runOut" });
export const approve = (what: { anomaly: string; by: string } | { runbook: string; by: string }): Step => ({
  do: "approve",
  ...what,
});
export const answer = (
  deployment: string,
  decision: "approve" | "deny",
  by: string,
  reason: string,
): Step => ({ do: "answer", deployment, decision, by, reason });
export const failBack = (runbook: string, by: string): Step => ({ do: "failBack", runbook, by });
export const say = (text: string | ((plane: ControlPlane) => string | Promise<string>)): Step => ({
  do: "say",
  text,
});
export const rotationDue = (secret: string): Step => ({ do: "rotationDue", secret });
export const leak = (): Step => ({ do: "leak" });
/** A GitHub payload for a `github` step to change: its fields as the example has them. */
// biome-ignore lint/suspicious/noExplicitAny: a webhook payload, changed in place by a scenario
export type GithubPayload = Record<string, any>;
export const github = (event: "release" | "deployment", change?: (payload: GithubPayload) => void): Step => ({
  do: "github",
  event,
  ...(change ? { change } : {}),
});
export const fault = (service: string, action: string, error: string, times = 1): Step => ({
  do: "fault",
  service,
  action,
  error,
  times,
});
export const schedule = (rule: string): Step => ({ do: "schedule", rule });

/** What a played scenario left behind, for its expectations to read. */
export interface Outcome {
  aliases: Record<string, { version: string; weights: Record<string, number> }>;
  executions: { name: string; status: string; outcome: string; transitions: number }[];
  audit: AuditRecord[];
  /** Each configured secret, by name: its versions' stages and its rotations (ids and steps, never values). */
  secrets: Record<string, SecretOutcome>;
  /** What Switchyard asked of GitHub's API, when the world has one (the token it sent is left out). */
  github?: { path: string; body: Record<string, unknown> }[];
  /** The deployments, deployment statuses and commit statuses GitHub's API recorded, when the world has one. */
  githubStatuses?: StatusWrite[];
  /** Every notice published, in order: to the SNS topics (headline = Subject) and to the world's webhook. */
  notices: Notice[];
}

export interface Notice {
  readonly channel: "sns" | "webhook";
  readonly headline: string;
  readonly text: string;
}

export interface SecretOutcome {
  /** The version that was AWSCURRENT when the scenario started. */
  initial: string;
  /** Version id → staging labels, as DescribeSecret reports them at the end. */
  stages: Record<string, string[]>;
  /** Every rotation Secrets Manager ran: its token, the steps invoked and the step that failed. */
  rotations: { token: string; steps: string[]; failed?: string }[];
}

/** One thing the world must look like afterwards; `because` is the message when it does not. */
export type Expectation =
  /** The alias (`function:alias`) routes 100% to this version. */
  | {
      readonly expect: "aliasOn";
      readonly alias: string;
      readonly version: string;
      readonly because?: string;
    }
  /** The executions' outcomes, in order, are exactly these. */
  | { readonly expect: "outcomes"; readonly outcomes: readonly string[]; readonly because?: string }
  /** So many executions ran, and, with `named`, one whose name starts so succeeded. */
  | { readonly expect: "executions"; readonly count: number; readonly because: string }
  | { readonly expect: "succeeded"; readonly named: string; readonly because: string }
  /** The audit log holds a record of this decision whose reason contains `text`. */
  | {
      readonly expect: "auditSaid";
      readonly decision: string;
      readonly text: string;
      readonly because: string;
    }
  /** No audit record's reason mentions `text`. */
  | { readonly expect: "auditNeverMentions"; readonly text: string; readonly because: string }
  /** The audit log holds exactly so many records of this decision. */
  | {
      readonly expect: "auditCount";
      readonly decision: string;
      readonly count: number;
      readonly because: string;
    }
  /** The headlines of the notices on one channel, in order, are exactly these. */
  | {
      readonly expect: "notified";
      readonly channel: Notice["channel"];
      readonly headlines: readonly string[];
    }
  /** A notice on the channel with this headline says `text`. */
  | {
      readonly expect: "noticeSaid";
      readonly channel: Notice["channel"];
      readonly headline: string;
      readonly text: string;
      readonly because: string;
    }
  /**
   * What GitHub's API recorded of one kind, in order, each as "TARGET WHAT": a deployment as
   * "ID REF", a deployment status as "DEPLOYMENT-ID STATE", a commit status as "SHA STATE".
   */
  | { readonly expect: "githubWrote"; readonly kind: StatusWrite["kind"]; readonly writes: readonly string[] }
  /** The percentages the `shifted` audit records name, in order. */
  | { readonly expect: "shifts"; readonly percents: readonly number[] }
  /**
   * A secret's stages at the end: AWSCURRENT on a new version (the initial one AWSPREVIOUS, or
   * no AWSPREVIOUS at all when the old value must be unreachable), nothing left AWSPENDING, and
   * so many rotations that completed and that failed.
   */
  | {
      readonly expect: "rotated";
      readonly secret: string;
      readonly previous: "initial" | "none";
      readonly completed: number;
      readonly failed: number;
    };

export const aliasOn = (alias: string, version: string, because?: string): Expectation => ({
  expect: "aliasOn",
  alias,
  version,
  ...(because ? { because } : {}),
});
export const outcomes = (...list: string[]): Expectation => ({ expect: "outcomes", outcomes: list });
export const executions = (count: number, because: string): Expectation => ({
  expect: "executions",
  count,
  because,
});
export const succeeded = (named: string, because: string): Expectation => ({
  expect: "succeeded",
  named,
  because,
});
export const auditSaid = (decision: string, text: string, because: string): Expectation => ({
  expect: "auditSaid",
  decision,
  text,
  because,
});
export const auditNeverMentions = (text: string, because: string): Expectation => ({
  expect: "auditNeverMentions",
  text,
  because,
});
export const auditCount = (decision: string, count: number, because: string): Expectation => ({
  expect: "auditCount",
  decision,
  count,
  because,
});
export const shifts = (...percents: number[]): Expectation => ({ expect: "shifts", percents });
export const notified = (channel: Notice["channel"], ...headlines: string[]): Expectation => ({
  expect: "notified",
  channel,
  headlines,
});
export const noticeSaid = (
  channel: Notice["channel"],
  headline: string,
  text: string,
  because: string,
): Expectation => ({ expect: "noticeSaid", channel, headline, text, because });
export const githubWrote = (kind: StatusWrite["kind"], ...writes: string[]): Expectation => ({
  expect: "githubWrote",
  kind,
  writes,
});
export const rotated = (
  secret: string,
  { previous, completed, failed = 0 }: { previous: "initial" | "none"; completed: number; failed?: number },
): Expectation => ({ expect: "rotated", secret, previous, completed, failed });

/** The message for an unmet expectation, or undefined when the outcome meets it. */
export function unmet(e: Expectation, o: Outcome): string | undefined {
  switch (e.expect) {
    case "aliasOn": {
      const state = o.aliases[e.alias];
      if (state?.version === e.version && Object.keys(state.weights).length === 0) return undefined;
      return e.because ?? `${e.alias} should be 100% on version ${e.version}, is ${JSON.stringify(state)}`;
    }
    case "outcomes": {
      const ended = o.executions.map((x) => x.outcome).join();
      return ended === e.outcomes.join()
        ? undefined
        : (e.because ?? `executions should end ${e.outcomes.join()}, ended ${ended}`);
    }
    case "executions":
      return o.executions.length === e.count ? undefined : `${e.because} (found ${o.executions.length})`;
    case "succeeded":
      return o.executions.some((x) => x.status === "SUCCEEDED" && x.name.startsWith(e.named))
        ? undefined
        : e.because;
    case "auditSaid":
      return o.audit.some((x) => x.decision === e.decision && x.reason.includes(e.text))
        ? undefined
        : e.because;
    case "auditNeverMentions":
      return o.audit.some((x) => x.reason.includes(e.text)) ? e.because : undefined;
    case "auditCount": {
      const found = o.audit.filter((x) => x.decision === e.decision).length;
      return found === e.count ? undefined : `${e.because} (found ${found})`;
    }
    case "shifts": {
      const seen = o.audit.filter((x) => x.decision === "shifted").map((x) => x.reason.split("%")[0]);
      return seen.join() === e.percents.join()
        ? undefined
        : `shifts should be ${e.percents.join()}, were ${seen.join()}`;
    }
    case "notified": {
      const seen = o.notices.filter((n) => n.channel === e.channel).map((n) => n.headline);
      return seen.join("\n") === e.headlines.join("\n")
        ? undefined
        : `${e.channel} notices should be ${JSON.stringify(e.headlines)}, were ${JSON.stringify(seen)}`;
    }
    case "noticeSaid":
      return o.notices.some(
        (n) => n.channel === e.channel && n.headline === e.headline && n.text.includes(e.text),
      )
        ? undefined
        : e.because;
    case "githubWrote": {
      const seen = (o.githubStatuses ?? [])
        .filter((w) => w.kind === e.kind)
        .map((w) => `${w.target} ${String(w.kind === "deployment" ? w.body.ref : w.body.state)}`);
      return seen.join() === e.writes.join()
        ? undefined
        : `GitHub ${e.kind} writes should be ${JSON.stringify(e.writes)}, were ${JSON.stringify(seen)}`;
    }
    case "rotated":
      return rotationProblem(e, o.secrets[e.secret]);
  }
}

function rotationProblem(
  e: Extract<Expectation, { expect: "rotated" }>,
  s: SecretOutcome | undefined,
): string | undefined {
  if (!s) return `${e.secret} is not a secret of the config`;
  const holder = (stage: string) => Object.keys(s.stages).find((v) => s.stages[v]?.includes(stage));
  const completed = s.rotations.filter((r) => !r.failed).length;
  const failed = s.rotations.length - completed;
  const problems = [
    holder("AWSCURRENT") === s.initial ? "AWSCURRENT is still on the initial version" : "",
    e.previous === "initial" && holder("AWSPREVIOUS") !== s.initial
      ? "the initial version should be AWSPREVIOUS"
      : "",
    e.previous === "none" && holder("AWSPREVIOUS")
      ? `version ${holder("AWSPREVIOUS")} is still AWSPREVIOUS`
      : "",
    Object.values(s.stages).some((l) => l.includes("AWSPENDING") && !l.includes("AWSCURRENT"))
      ? "a version is left AWSPENDING"
      : "",
    completed !== e.completed || failed !== e.failed
      ? `${e.completed} completed and ${e.failed} failed rotation(s) expected, found ${completed} and ${failed}`
      : "",
  ].filter(Boolean);
  return problems.length ? `${e.secret}: ${problems.join("; ")}` : undefined;
}

/** What the simulated account holds beyond what the control plane seeds from the config. */
export interface World {
  /** Tags on Lambda functions, by function name. */
  readonly functionTags?: Record<string, Record<string, string>>;
  /** RDS instances in the account's region. */
  readonly databases?: readonly { id: string; tags: Record<string, string> }[];
  /** EventBridge scheduled rules. */
  readonly schedules?: readonly { name: string; schedule: string; tags: Record<string, string> }[];
  /** Secret values Secrets Manager holds at the start, by secret id (invented; never printed). */
  readonly secretValues?: Record<string, string>;
  /**
   * Rotation functions of the config's own (rotator "custom" secrets name them), stood in for by
   * Switchyard's rotation function running one of its rotators on the secret: the four steps of
   * the protocol, as the secret's owner would implement them.
   */
  readonly rotationFunctions?: Record<string, { readonly rotator: "random"; readonly field: string }>;
  /**
   * GitHub's REST API as a local HTTP server that knows these secret scanning alerts
   * ("owner/repo#number") and takes deployments and statuses, answering to the token Secrets
   * Manager holds; the config's `secretScanning.apiUrl` and each deployment's
   * `github.statuses.apiUrl` point at it.
   */
  readonly github?: {
    readonly alerts?: readonly string[];
    /** Answer this many deployment and status writes with HTTP 500 first (GitHub down). */
    readonly failWrites?: number;
  };
  /**
   * A Slack-compatible incoming webhook (a local HTTP server that records each post) for these
   * deployments' notices: the runner sets their `notify.webhookUrl` to it.
   */
  readonly webhook?: { readonly deployments: readonly string[] };
  /** Traffic hook functions (a deployment's hooks name them) and what each reports when invoked. */
  readonly hookFunctions?: Record<string, "Succeeded" | "Failed">;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** An example under examples/ whose config it runs, instead of the one the command was given. */
  readonly example?: string;
  /** Changes to the (parsed) config the scenario plays. */
  readonly configure?: (config: Config) => Config;
  readonly world?: World;
  readonly steps: readonly Step[];
  readonly expect: readonly Expectation[];
}
