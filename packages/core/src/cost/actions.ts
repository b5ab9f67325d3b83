import { DescribeServicesCommand, ListServicesCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import {
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListTagsForResourceCommand,
} from "@aws-sdk/client-eventbridge";
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
} from "@aws-sdk/client-lambda";
import {
  DescribeDBInstancesCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from "@aws-sdk/client-rds";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import type { Permission } from "../permissions.ts";
import type { ActionType } from "./action-types.ts";
import type { ActionConfig, ProtectedTag } from "./config.ts";
import type { AppliedAction } from "./record.ts";

/** Where the resources live; ARNs are built from it. */
export interface Place {
  readonly account: string;
  readonly region: string;
}

/** What applying to one target did: the value before and the value set (for the revert guard). */
export interface Change {
  readonly note: string;
  readonly previous?: unknown;
  readonly set?: unknown;
  /**
   * The write is the state machine's, not this step's (EC2, ADR 0030): the entry stays
   * `applying`, and the step that sees the state machine's answer records the outcome.
   */
  readonly handOff?: "stop";
}

/**
 * What the cost-response state machine's DescribeInstances task answered (ADR 0030): the
 * cost-steps function sends no EC2 request; it reads EC2 from the answer it is handed, and the
 * state machine makes the EC2 writes the steps decide on.
 */
export interface Ec2Answer {
  readonly Reservations?: readonly {
    readonly Instances?: readonly {
      readonly InstanceId?: string;
      readonly State?: { readonly Name?: string };
      readonly Tags?: readonly { Key?: string; Value?: string }[];
    }[];
  }[];
}

/** A step's dependencies: core's, and the state machine's EC2 answer when the step was handed one. */
export interface CostDeps extends CoreDeps {
  readonly ec2?: Ec2Answer;
}

/**
 * One kind of action: its `type` (whose config schema is ACTION_SCHEMAS in config.ts, kept out
 * of the functions' bundles, ADR 0035), the IAM actions its code sends, whether
 * it is destructive (then it waits for a human's approval), the resources a config selects
 * (named in it, or found by tag), their tags (for the protected-tag guard), and
 * `plan`/`apply`/`revert`.
 *
 * Writes are ahead-logged: `plan` reads the prior state, the step records it, and only then
 * does `apply` write, from that recorded prior state. `apply` never reads the prior state
 * itself, so a retry after its own write (a failure recording the result) cannot mistake
 * Switchyard's own value for the resource's previous one. `revert` is guarded: it restores the
 * previous value only while the resource still holds the value Switchyard set; otherwise a
 * human changed it since, and the human wins. `ahead` is called right before the revert's own
 * write, so a retried revert knows that write may have landed (the resource at its previous
 * value, or on its way there, is then Switchyard's own revert, not a human's change).
 */
export interface ActionUnit<T extends ActionType = ActionType> {
  readonly type: T;
  readonly destructive: boolean;
  /** What the cost-steps function sends. */
  readonly permissions: readonly Permission[];
  /** What the cost-response state machine sends for this unit itself (its AWS SDK integration tasks). */
  readonly machinePermissions?: readonly Permission[];
  /** What the config selects, in words (for the plan and the approval request). */
  summary(config: Extract<ActionConfig, { type: T }>): string;
  targets(deps: CostDeps, place: Place, config: Extract<ActionConfig, { type: T }>): Promise<string[]>;
  tags(deps: CostDeps, place: Place, target: string): Promise<Record<string, string>>;
  /**
   * The change `apply` would make, from reads only: the prior state and the value to set
   * (dry-run records it as the plan; a real run records it before `apply` writes).
   */
  plan(deps: CostDeps, config: Extract<ActionConfig, { type: T }>, target: string): Promise<Change>;
  /**
   * Makes the change `prior` (the recorded plan) describes. Safe to run again: a retry after
   * the write landed sends the same write, or sees it under way and sends none.
   */
  apply(
    deps: CostDeps,
    config: Extract<ActionConfig, { type: T }>,
    target: string,
    prior: Change,
  ): Promise<Change>;
  revert(deps: CostDeps, entry: AppliedAction, ahead: () => Promise<void>): Promise<RevertOutcome>;
}

export interface RevertOutcome {
  readonly reverted: boolean;
  readonly note: string;
  /**
   * The state machine's part (EC2, ADR 0030): "start" — recorded `reverting`, the state machine
   * starts the resource and the revert step then records it reverted; "settle" — still on its
   * way to the state Switchyard asked for, the state machine waits and looks again.
   */
  readonly handOff?: "start" | "settle";
}

/**
 * Whether Switchyard's own write may have put the resource where it is: the apply was recorded
 * ahead but not finished (`applying`), or a revert was recorded ahead (`reverting`). Then a
 * resource found at its previous value is back (or never left), not changed by a human.
 */
const ownWriteMayHaveLanded = (entry: AppliedAction) =>
  entry.status === "applying" || entry.status === "reverting";

const reservedConcurrency = async (deps: CoreDeps, fn: string) => {
  const out = await awsStep(`read reserved concurrency of ${fn}`, () =>
    deps.clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn })),
  );
  return out.ReservedConcurrentExecutions;
};

const describe = (value: unknown) => (value === undefined || value === null ? "unreserved" : String(value));

const capLambdaConcurrency: ActionUnit<"cap-lambda-concurrency"> = {
  type: "cap-lambda-concurrency",
  destructive: false,
  permissions: [
    {
      actions: [
        "lambda:ListTags",
        "lambda:GetFunctionConcurrency",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
      ],
      resources: ["costCappedFunctions"],
    },
  ],
  summary: (config) => config.functions.join(", "),
  targets: async (_deps, _place, config) => config.functions,
  async tags(deps, place, fn) {
    const out = await awsStep(`read tags of ${fn}`, () =>
      deps.clients.lambda.send(
        new ListTagsCommand({ Resource: `arn:aws:lambda:${place.region}:${place.account}:function:${fn}` }),
      ),
    );
    return out.Tags ?? {};
  },
  async plan(deps, config, fn) {
    const previous = await reservedConcurrency(deps, fn);
    return {
      note: `would cap ${fn} at ${config.concurrency} concurrent executions (now ${describe(previous)})`,
      previous: previous ?? null,
      set: config.concurrency,
    };
  },
  async apply(deps, config, fn, prior) {
    await awsStep(`cap ${fn}`, () =>
      deps.clients.lambda.send(
        new PutFunctionConcurrencyCommand({
          FunctionName: fn,
          ReservedConcurrentExecutions: config.concurrency,
        }),
      ),
    );
    return {
      note: `capped ${fn} at ${config.concurrency} concurrent executions (was ${describe(prior.previous)})`,
      previous: prior.previous ?? null,
      set: config.concurrency,
    };
  },
  async revert(deps, applied, ahead) {
    const fn = applied.target;
    const now = await reservedConcurrency(deps, fn);
    if ((now ?? null) === (applied.previous ?? null) && ownWriteMayHaveLanded(applied))
      return { reverted: true, note: `${fn} is back to ${describe(applied.previous)}` };
    if ((now ?? null) !== applied.set) {
      return {
        reverted: false,
        note: `${fn} is at ${describe(now)}, not the ${describe(applied.set)} Switchyard set: someone changed it since, so it stays`,
      };
    }
    await ahead();
    if (applied.previous === null || applied.previous === undefined) {
      await awsStep(`uncap ${fn}`, () =>
        deps.clients.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: fn })),
      );
    } else {
      const previous = Number(applied.previous);
      await awsStep(`restore ${fn}`, () =>
        deps.clients.lambda.send(
          new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: previous }),
        ),
      );
    }
    return {
      reverted: true,
      note: `${fn} back to ${describe(applied.previous)} (was capped at ${describe(applied.set)})`,
    };
  },
};

const ruleState = async (deps: CoreDeps, rule: string) =>
  awsStep(`describe rule ${rule}`, () =>
    deps.clients.eventbridge.send(new DescribeRuleCommand({ Name: rule })),
  );

const disableSchedules: ActionUnit<"disable-schedules"> = {
  type: "disable-schedules",
  destructive: true,
  permissions: [
    {
      actions: [
        "events:DescribeRule",
        "events:ListTagsForResource",
        "events:DisableRule",
        "events:EnableRule",
      ],
      resources: ["costScheduleRules"],
    },
  ],
  summary: (config) => config.rules.join(", "),
  targets: async (_deps, _place, config) => config.rules,
  async tags(deps, _place, rule) {
    const described = await ruleState(deps, rule);
    const out = await awsStep(`read tags of rule ${rule}`, () =>
      deps.clients.eventbridge.send(new ListTagsForResourceCommand({ ResourceARN: described.Arn })),
    );
    return Object.fromEntries((out.Tags ?? []).map((t) => [String(t.Key), String(t.Value ?? "")]));
  },
  async plan(deps, _config, rule) {
    const state = (await ruleState(deps, rule)).State;
    return { note: `would disable rule ${rule} (now ${state})`, previous: state, set: "DISABLED" };
  },
  async apply(deps, _config, rule, prior) {
    await awsStep(`disable rule ${rule}`, () =>
      deps.clients.eventbridge.send(new DisableRuleCommand({ Name: rule })),
    );
    return {
      note: `disabled rule ${rule} (was ${String(prior.previous)})`,
      previous: prior.previous,
      set: "DISABLED",
    };
  },
  async revert(deps, applied, ahead) {
    const rule = applied.target;
    const state = (await ruleState(deps, rule)).State;
    if (state === applied.previous && ownWriteMayHaveLanded(applied))
      return { reverted: true, note: `rule ${rule} is ${state} again` };
    if (state !== "DISABLED") {
      return {
        reverted: false,
        note: `rule ${rule} is ${state} again: someone changed it since, so it stays`,
      };
    }
    if (applied.previous !== "ENABLED") {
      return { reverted: true, note: `rule ${rule} was ${String(applied.previous)} before: left disabled` };
    }
    await ahead();
    await awsStep(`enable rule ${rule}`, () =>
      deps.clients.eventbridge.send(new EnableRuleCommand({ Name: rule })),
    );
    return { reverted: true, note: `rule ${rule} enabled again` };
  },
};

const selection = (select: Record<string, readonly string[]>) =>
  `tagged ${Object.entries(select)
    .map(([key, values]) => `${key}=${values.join("|")}`)
    .join(" and ")}`;

const selects = (select: Record<string, readonly string[]>, tags: Record<string, string>) =>
  Object.entries(select).every(([key, values]) => {
    const value = tags[key];
    return value !== undefined && values.includes(value);
  });

const tagMap = (tags: readonly { Key?: string; Value?: string }[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [String(t.Key), String(t.Value ?? "")]));

/** A stop whose resource is still on its way to the state Switchyard asked for: the revert retries. */
const stillMoving = (what: string) =>
  new SwitchyardError(ErrorNames.Throttled, `${what}: still on its way there; the revert retries`);

/** The instances of the state machine's DescribeInstances answer; a step handed none cannot read EC2. */
function ec2Instances(deps: CostDeps) {
  if (!deps.ec2)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      "this cost step reads EC2 from the state machine's DescribeInstances answer, and was handed none",
    );
  return (deps.ec2.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

const ec2Instance = (deps: CostDeps, id: string) => {
  const instance = ec2Instances(deps).find((i) => i.InstanceId === id);
  return { state: String(instance?.State?.Name), tags: tagMap(instance?.Tags) };
};

/**
 * The tag keys the tier's stop-ec2-instances actions select on: the state machine's one
 * DescribeInstances asks EC2 for the instances carrying any of them (filter `tag-key`), and each
 * action's exact selection is matched here. One request whatever the number of actions; the
 * answer is a superset of each selection.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
export function ec2SelectionFilters(actions: readonly ActionConfig[]): { Name: string; Values: string[] }[] {
  const keys = new Set<string>();
  for (const a of actions)
    if (a.type === "stop-ec2-instances") for (const key of Object.keys(a.select)) keys.add(key);
  return keys.size ? [{ Name: "tag-key", Values: [...keys].sort() }] : [];
}

/** The outcome of an instance the state machine stopped. */
export const ec2Stopped = (id: string): Change => ({
  note: `stopped instance ${id} (was running)`,
  previous: "running",
  set: "stopped",
});

/** The revert's note for an instance the state machine started. */
export const ec2Started = (id: string): RevertOutcome => ({
  reverted: true,
  note: `instance ${id} started again (was stopped)`,
});

/**
 * EC2 instances are stopped and started by the cost-response state machine through Step
 * Functions' AWS SDK integrations (ADR 0019, built in ADR 0030): this unit reads the state
 * machine's DescribeInstances answer and hands the writes back to it, so the cost-steps function
 * bundles no EC2 client. Write-ahead stays: the entry is `applying`, with the state read, before
 * the state machine's StopInstances; `reverting` before its StartInstances.
 */
const stopEc2Instances: ActionUnit<"stop-ec2-instances"> = {
  type: "stop-ec2-instances",
  destructive: true,
  permissions: [],
  machinePermissions: [
    // DescribeInstances supports no resource-level permissions: stacks grant it on "*".
    {
      actions: ["ec2:DescribeInstances", "ec2:StopInstances", "ec2:StartInstances"],
      resources: ["costEc2Instances"],
    },
  ],
  summary: (config) => `EC2 instances ${selection(config.select)}`,
  async targets(deps, _place, config) {
    // Each filter must hold, each value within one is an alternative (as EC2's tag: filters).
    return ec2Instances(deps)
      .filter((i) => selects(config.select, tagMap(i.Tags)))
      .filter((i) => i.State?.Name !== "terminated" && i.State?.Name !== "shutting-down")
      .map((i) => String(i.InstanceId));
  },
  tags: async (deps, _place, id) => ec2Instance(deps, id).tags,
  async plan(deps, _config, id) {
    const { state } = ec2Instance(deps, id);
    return state === "running"
      ? { note: `would stop instance ${id} (now running)`, previous: state, set: "stopped" }
      : { note: `instance ${id} is ${state}: nothing to stop`, previous: state, set: state };
  },
  async apply(_deps, _config, id, prior) {
    const state = String(prior.previous);
    if (state !== "running")
      return { note: `instance ${id} is ${state}: nothing to stop`, previous: state, set: state };
    // EC2 answers a stop of an instance already stopping or stopped with its state: safe to resend.
    return { ...ec2Stopped(id), handOff: "stop" };
  },
  async revert(deps, applied, ahead) {
    const id = applied.target;
    const { state } = ec2Instance(deps, id);
    if (applied.previous !== "running")
      return { reverted: true, note: `instance ${id} was ${String(applied.previous)} before: left as it is` };
    if ((state === "running" || state === "pending") && ownWriteMayHaveLanded(applied))
      return { reverted: true, note: `instance ${id} is ${state} again` };
    if (state === "stopping")
      return { reverted: false, note: `instance ${id} is stopping: looked at again`, handOff: "settle" };
    if (state !== "stopped")
      return {
        reverted: false,
        note: `instance ${id} is ${state}, not the stopped Switchyard left: someone changed it since, so it stays`,
      };
    await ahead();
    return { ...ec2Started(id), handOff: "start" };
  },
};

const dbInstance = async (deps: CoreDeps, id: string) => {
  const out = await awsStep(`describe DB instance ${id}`, () =>
    deps.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
  );
  const db = out.DBInstances?.[0];
  return { status: String(db?.DBInstanceStatus), tags: tagMap(db?.TagList) };
};

const stopRdsInstances: ActionUnit<"stop-rds-instances"> = {
  type: "stop-rds-instances",
  destructive: true,
  permissions: [
    {
      actions: ["rds:DescribeDBInstances", "rds:StopDBInstance", "rds:StartDBInstance"],
      resources: ["costDbInstances"],
    },
  ],
  summary: (config) => `RDS instances ${selection(config.select)}`,
  async targets(deps, _place, config) {
    // RDS cannot filter DescribeDBInstances by tag: the TagList of each is matched here.
    const found: string[] = [];
    let marker: string | undefined;
    do {
      const page = await awsStep("find the selected RDS instances", () =>
        deps.clients.rds.send(new DescribeDBInstancesCommand(marker ? { Marker: marker } : {})),
      );
      for (const db of page.DBInstances ?? [])
        if (selects(config.select, tagMap(db.TagList))) found.push(String(db.DBInstanceIdentifier));
      marker = page.Marker;
    } while (marker);
    return found;
  },
  tags: async (deps, _place, id) => (await dbInstance(deps, id)).tags,
  async plan(deps, _config, id) {
    const { status } = await dbInstance(deps, id);
    return status === "available"
      ? { note: `would stop DB instance ${id} (now available)`, previous: status, set: "stopped" }
      : { note: `DB instance ${id} is ${status}: nothing to stop`, previous: status, set: status };
  },
  async apply(deps, _config, id, prior) {
    const previous = String(prior.previous);
    if (previous !== "available")
      return { note: `DB instance ${id} is ${previous}: nothing to stop`, previous, set: previous };
    // RDS refuses to stop an instance that is not available: a retry after its own stop sees
    // the instance stopping (or stopped) and sends nothing. This read decides whether to write,
    // never what was there before.
    const { status } = await dbInstance(deps, id);
    if (status !== "stopping" && status !== "stopped")
      await awsStep(`stop DB instance ${id}`, () =>
        deps.clients.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: id })),
      );
    return { note: `stopped DB instance ${id} (was available)`, previous, set: "stopped" };
  },
  async revert(deps, applied, ahead) {
    const id = applied.target;
    const { status } = await dbInstance(deps, id);
    if (applied.previous !== "available")
      return {
        reverted: true,
        note: `DB instance ${id} was ${String(applied.previous)} before: left as it is`,
      };
    if ((status === "available" || status === "starting") && ownWriteMayHaveLanded(applied))
      return { reverted: true, note: `DB instance ${id} is ${status} again` };
    if (status === "stopping") throw stillMoving(`DB instance ${id} is stopping`);
    if (status !== "stopped")
      return {
        reverted: false,
        note: `DB instance ${id} is ${status}, not the stopped Switchyard left: someone changed it since, so it stays`,
      };
    await ahead();
    await awsStep(`start DB instance ${id}`, () =>
      deps.clients.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: id })),
    );
    return { reverted: true, note: `DB instance ${id} started again (was stopped)` };
  },
};

/** Targets are "cluster/service". */
const ecsService = async (deps: CoreDeps, target: string) => {
  const [cluster = "", service = ""] = target.split("/");
  const out = await awsStep(`describe service ${target}`, () =>
    deps.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [service], include: ["TAGS"] })),
  );
  const found = out.services?.[0];
  if (!found) throw new SwitchyardError(ErrorNames.InvalidInput, `ECS service ${target} does not exist`);
  return {
    cluster,
    service,
    desired: Number(found.desiredCount),
    tags: Object.fromEntries((found.tags ?? []).map((t) => [String(t.key), String(t.value ?? "")])),
  };
};

const scaleEcsServicesToZero: ActionUnit<"scale-ecs-services-to-zero"> = {
  type: "scale-ecs-services-to-zero",
  destructive: true,
  permissions: [
    // ListServices supports no resource-level permissions (only the ecs:cluster condition): granted on "*".
    {
      actions: ["ecs:ListServices", "ecs:DescribeServices", "ecs:UpdateService"],
      resources: ["costEcsServices"],
    },
  ],
  summary: (config) => `ECS services in ${config.clusters.join(", ")} ${selection(config.select)}`,
  async targets(deps, _place, config) {
    const found: string[] = [];
    for (const cluster of config.clusters) {
      let nextToken: string | undefined;
      do {
        const page = await awsStep(`list the services of ${cluster}`, () =>
          deps.clients.ecs.send(new ListServicesCommand({ cluster, ...(nextToken ? { nextToken } : {}) })),
        );
        // DescribeServices takes at most 10 services a call.
        const names = (page.serviceArns ?? []).map((arn) => String(arn.split("/").at(-1)));
        for (let i = 0; i < names.length; i += 10) {
          const out = await awsStep(`describe the services of ${cluster}`, () =>
            deps.clients.ecs.send(
              new DescribeServicesCommand({ cluster, services: names.slice(i, i + 10), include: ["TAGS"] }),
            ),
          );
          for (const s of out.services ?? [])
            if (
              selects(
                config.select,
                Object.fromEntries((s.tags ?? []).map((t) => [String(t.key), String(t.value ?? "")])),
              )
            )
              found.push(`${cluster}/${s.serviceName}`);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    }
    return found;
  },
  tags: async (deps, _place, target) => (await ecsService(deps, target)).tags,
  async plan(deps, _config, target) {
    const { desired } = await ecsService(deps, target);
    return desired > 0
      ? { note: `would scale service ${target} to 0 tasks (now ${desired})`, previous: desired, set: 0 }
      : { note: `service ${target} is at 0 tasks: nothing to scale`, previous: desired, set: 0 };
  },
  async apply(deps, _config, target, prior) {
    const desired = Number(prior.previous);
    if (desired === 0)
      return { note: `service ${target} is at 0 tasks: nothing to scale`, previous: 0, set: 0 };
    const [cluster = "", service = ""] = target.split("/");
    await awsStep(`scale service ${target} to 0`, () =>
      deps.clients.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 0 })),
    );
    return { note: `scaled service ${target} to 0 tasks (was ${desired})`, previous: desired, set: 0 };
  },
  async revert(deps, applied, ahead) {
    const target = applied.target;
    const { cluster, service, desired } = await ecsService(deps, target);
    const previous = Number(applied.previous);
    if (desired === previous && ownWriteMayHaveLanded(applied))
      return { reverted: true, note: `service ${target} is back to ${previous} tasks` };
    if (desired !== 0)
      return {
        reverted: false,
        note: `service ${target} wants ${desired} tasks, not the 0 Switchyard set: someone changed it since, so it stays`,
      };
    if (previous === 0) return { reverted: true, note: `service ${target} was at 0 tasks before: left at 0` };
    await ahead();
    await awsStep(`scale service ${target} back to ${previous}`, () =>
      deps.clients.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: previous })),
    );
    return { reverted: true, note: `service ${target} back to ${previous} tasks (was scaled to 0)` };
  },
};

/**
 * The action units, by type. `notify` has no unit: it touches no resource, needs no revert,
 * and runs in every tier's apply step (see steps.ts).
 */
export const ACTION_UNITS: { readonly [T in Exclude<ActionType, "notify">]: ActionUnit<T> } = {
  "cap-lambda-concurrency": capLambdaConcurrency,
  "disable-schedules": disableSchedules,
  "stop-ec2-instances": stopEc2Instances,
  "stop-rds-instances": stopRdsInstances,
  "scale-ecs-services-to-zero": scaleEcsServicesToZero,
};

export function unitOf(type: string): ActionUnit | undefined {
  return (ACTION_UNITS as Record<string, ActionUnit>)[type];
}

/** The protected tag a resource carries, if any: such a resource is never touched. */
export function protectedBy(
  tags: Record<string, string>,
  guard: readonly ProtectedTag[],
): string | undefined {
  for (const tag of guard) {
    const value = tags[tag.key];
    if (value === undefined) continue;
    if (!tag.values || tag.values.some((v) => v.toLowerCase() === value.toLowerCase()))
      return `${tag.key}=${value}`;
  }
  return undefined;
}
