import type { Config } from "./config/index.ts";
import { costUnit } from "./cost/unit.ts";
import { rollbackUnit } from "./deployments/rollback-unit.ts";
import { deployUnit } from "./deployments/unit.ts";
import { failbackUnit } from "./failover/failback-unit.ts";
import { failoverUnit } from "./failover/unit.ts";
import { githubIntakeUnit } from "./github/unit.ts";
import type { Permission } from "./permissions.ts";
import { rotateOnLeakUnit } from "./secrets/leak-unit.ts";
import { rotationUnit } from "./secrets/rotation-unit.ts";
import type { FunctionSpec, ReactionUnit, RuleSpec, StateMachineSpec } from "./unit.ts";

/**
 * Switchyard's wiring as data, derived from the reaction units: their functions and what each
 * may do, the bus rules that route events to them, and the state machines. `stacks/` turns this
 * into resources; the local control plane and the tests run the very same data. Nothing may
 * exist only in `stacks/`, and nothing here is declared apart from its unit.
 */

export type { Permission, ResourceRef } from "./permissions.ts";
export type {
  FunctionName,
  FunctionSpec,
  ReactionUnit,
  RuleSpec,
  StateMachineName,
  StateMachineSpec,
  StepFunctionArns,
} from "./unit.ts";

/** Every reaction, and the GitHub intake two of them share. */
export const units: readonly ReactionUnit[] = [
  deployUnit,
  rollbackUnit,
  githubIntakeUnit,
  costUnit,
  rotationUnit,
  rotateOnLeakUnit,
  failoverUnit,
  failbackUnit,
];

export const functions: readonly FunctionSpec[] = units.flatMap((unit) => unit.functions);

/**
 * Rules do not depend on the config: their number stays the same for 1 or 500 deployments,
 * and the functions select the deployments an event concerns.
 */
export const rules: readonly RuleSpec[] = units.flatMap((unit) => unit.rules);

/**
 * Sources whose events AWS puts only on the default bus of the region they concern: AWS Health
 * needs a rule in each region it should be heard from
 * (https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html).
 */
const REGIONAL_SOURCES: ReadonlySet<string> = new Set(["aws.health"]);

/** A rule in another region that forwards its matches to the stack's default bus. */
export interface ForwardingRule {
  readonly region: string;
  /** The stack-region rule whose events it forwards: same name and pattern. */
  readonly rule: RuleSpec;
}

/**
 * One forwarding rule per regional-source rule in each region the config's runbooks name (both
 * of each runbook's regions) other than the stack's own, whose rule hears it directly. The
 * target is the stack's default bus, an EventBridge cross-region bus target
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html).
 */
export function forwardingRules(config: Pick<Config, "region" | "failover">): ForwardingRule[] {
  const regions = [...new Set(config.failover.runbooks.flatMap((r) => [r.primaryRegion, r.secondaryRegion]))]
    .filter((region) => region !== config.region)
    .sort();
  const regional = rules.filter((rule) => {
    const source = rule.pattern.source;
    return Array.isArray(source) && source.some((s: unknown) => REGIONAL_SOURCES.has(String(s)));
  });
  return regions.flatMap((region) => regional.map((rule) => ({ region, rule })));
}

export const stateMachines: readonly StateMachineSpec[] = units.flatMap((unit) =>
  unit.stateMachine ? [unit.stateMachine] : [],
);

/** The IAM actions a function or state machine is granted that its code sends itself. */
export function sentActions(permissions: readonly Permission[]): string[] {
  return [...new Set(permissions.filter((p) => !p.implied).flatMap((p) => p.actions))].sort();
}
