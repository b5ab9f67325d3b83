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
import type { CoreDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { Permission } from "../wiring.ts";
import { ACTION_SCHEMAS, type ActionConfig, type ActionType, type ProtectedTag } from "./config.ts";
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
}

/**
 * One kind of action: its config schema (config.ts), the IAM actions its code sends, whether
 * it is destructive (then it waits for a human's approval), the resources a config names,
 * their tags (for the protected-tag guard), and `plan`/`apply`/`revert`. `revert` is guarded:
 * it restores the previous value only while the resource still holds the value Switchyard
 * set; otherwise a human changed it since, and the human wins.
 */
export interface ActionUnit<T extends ActionType = ActionType> {
  readonly type: T;
  readonly schema: (typeof ACTION_SCHEMAS)[T];
  readonly destructive: boolean;
  readonly permissions: readonly Permission[];
  targets(config: Extract<ActionConfig, { type: T }>): string[];
  tags(deps: CoreDeps, place: Place, target: string): Promise<Record<string, string>>;
  /** The change `apply` would make, from reads only (dry-run records it as the plan). */
  plan(deps: CoreDeps, config: Extract<ActionConfig, { type: T }>, target: string): Promise<Change>;
  apply(deps: CoreDeps, config: Extract<ActionConfig, { type: T }>, target: string): Promise<Change>;
  revert(deps: CoreDeps, applied: AppliedAction): Promise<{ reverted: boolean; note: string }>;
}

const reservedConcurrency = async (deps: CoreDeps, fn: string) => {
  const out = await awsStep(`read reserved concurrency of ${fn}`, () =>
    deps.clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: fn })),
  );
  return out.ReservedConcurrentExecutions;
};

const describe = (value: unknown) => (value === undefined || value === null ? "unreserved" : String(value));

const capLambdaConcurrency: ActionUnit<"cap-lambda-concurrency"> = {
  type: "cap-lambda-concurrency",
  schema: ACTION_SCHEMAS["cap-lambda-concurrency"],
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
  targets: (config) => config.functions,
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
  async apply(deps, config, fn) {
    const previous = await reservedConcurrency(deps, fn);
    await awsStep(`cap ${fn}`, () =>
      deps.clients.lambda.send(
        new PutFunctionConcurrencyCommand({
          FunctionName: fn,
          ReservedConcurrentExecutions: config.concurrency,
        }),
      ),
    );
    return {
      note: `capped ${fn} at ${config.concurrency} concurrent executions (was ${describe(previous)})`,
      previous: previous ?? null,
      set: config.concurrency,
    };
  },
  async revert(deps, applied) {
    const fn = applied.target;
    const now = await reservedConcurrency(deps, fn);
    if ((now ?? null) !== applied.set) {
      return {
        reverted: false,
        note: `${fn} is at ${describe(now)}, not the ${describe(applied.set)} Switchyard set: someone changed it since, so it stays`,
      };
    }
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
  schema: ACTION_SCHEMAS["disable-schedules"],
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
  targets: (config) => config.rules,
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
  async apply(deps, _config, rule) {
    const state = (await ruleState(deps, rule)).State;
    await awsStep(`disable rule ${rule}`, () =>
      deps.clients.eventbridge.send(new DisableRuleCommand({ Name: rule })),
    );
    return { note: `disabled rule ${rule} (was ${state})`, previous: state, set: "DISABLED" };
  },
  async revert(deps, applied) {
    const rule = applied.target;
    const state = (await ruleState(deps, rule)).State;
    if (state !== "DISABLED") {
      return {
        reverted: false,
        note: `rule ${rule} is ${state} again: someone changed it since, so it stays`,
      };
    }
    if (applied.previous !== "ENABLED") {
      return { reverted: true, note: `rule ${rule} was ${String(applied.previous)} before: left disabled` };
    }
    await awsStep(`enable rule ${rule}`, () =>
      deps.clients.eventbridge.send(new EnableRuleCommand({ Name: rule })),
    );
    return { reverted: true, note: `rule ${rule} enabled again` };
  },
};

/**
 * The action units, by type. `notify` has no unit: it touches no resource, needs no revert,
 * and runs in every tier's apply step (see steps.ts).
 */
export const ACTION_UNITS: { readonly [T in Exclude<ActionType, "notify">]: ActionUnit<T> } = {
  "cap-lambda-concurrency": capLambdaConcurrency,
  "disable-schedules": disableSchedules,
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
