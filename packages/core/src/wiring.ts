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
 * Every unit's rules, as they are written: the same for 1 or 500 deployments, the functions
 * selecting the deployments an event concerns. What a config deploys is `rulesFor(config)`.
 */
export const rules: readonly RuleSpec[] = units.flatMap((unit) => unit.rules);

/**
 * The rules a config deploys: `rules`, with the failover trigger's alarm rule narrowed to the
 * alarms the runbooks name (by name, or by ARN — a forwarded event keeps the alarm's own name),
 * and left out when they name none. Every other rule, the rollback's included, is the same for
 * every config. The failover trigger acts only on the alarms its runbooks name, so an alarm no
 * runbook names would only cost an invocation — one for every alarm of the account going to
 * ALARM — and would run beside the rollback function on the alarms that guard deployments.
 * A few names per runbook keep the pattern far inside EventBridge's pattern size.
 */
export function rulesFor(config: Pick<Config, "failover">): RuleSpec[] {
  const names = [
    ...new Set(
      config.failover.runbooks.flatMap((r) =>
        r.triggers.alarms.map((alarm) => ALARM_ARN.exec(alarm)?.[2] ?? alarm),
      ),
    ),
  ].sort();
  return rules.flatMap((rule) => {
    if (rule.name !== TRIGGER_ALARM_RULE) return [rule];
    if (names.length === 0) return [];
    const detail = rule.pattern.detail as Record<string, unknown>;
    return [{ ...rule, pattern: { ...rule.pattern, detail: { ...detail, alarmName: names } } }];
  });
}

/**
 * Sources whose events AWS puts only on the default bus of the region they concern, and the regions
 * of the config each must be heard from. AWS Health needs a rule in each region it should be heard
 * from (https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html): the runbooks' regions.
 * ARC Region switch sends its plan execution events directly to EventBridge
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-region-switch.html) and its
 * pages name no single region for them: every region the config names (provenance.regions, which
 * holds the stack's and the runbooks' regions); the trigger records each event id once.
 */
const REGIONAL_SOURCES: Readonly<Record<string, (config: ForwardingConfig) => readonly string[]>> = {
  "aws.health": (config) => config.failover.runbooks.flatMap((r) => [r.primaryRegion, r.secondaryRegion]),
  "aws.arc-region-switch": (config) => config.provenance.regions,
};

/** The rule whose CloudWatch alarm events reach the failover trigger. */
const TRIGGER_ALARM_RULE = "failover-on-health-alarm";
/** A trigger alarm named by ARN: `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`. */
const ALARM_ARN = /^arn:[^:]+:cloudwatch:([^:]+):\d{12}:alarm:(.+)$/;

type ForwardingConfig = Pick<Config, "region" | "failover" | "provenance">;

/** A rule in another region that forwards its matches to the stack's default bus. */
export interface ForwardingRule {
  readonly region: string;
  /**
   * The stack-region rule whose events it forwards: same name and pattern, but for trigger alarms
   * the pattern names the alarms of that region the runbooks name.
   */
  readonly rule: RuleSpec;
}

/**
 * One forwarding rule per regional-source rule in each region its source must be heard from,
 * other than the stack's own, whose rule hears it directly; and, for failover trigger alarms the
 * runbooks name by ARN in another region, one rule there matching those alarms: CloudWatch puts an
 * alarm's state change on the default bus of the alarm's region
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 * The target is the stack's default bus, an EventBridge cross-region bus target
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html).
 */
export function forwardingRules(config: ForwardingConfig): ForwardingRule[] {
  const elsewhere = (regions: readonly string[]) =>
    [...new Set(regions)].filter((region) => region !== config.region).sort();
  const sourced = rules.flatMap((rule) => {
    const source = rule.pattern.source;
    const regions = (Array.isArray(source) ? source : [])
      .map((s: unknown) => REGIONAL_SOURCES[String(s)])
      .flatMap((regionsOf) => (regionsOf ? regionsOf(config) : []));
    return elsewhere(regions).map((region) => ({ region, rule }));
  });
  const alarmRule = rules.find((rule) => rule.name === TRIGGER_ALARM_RULE);
  const alarms = config.failover.runbooks.flatMap((r) =>
    r.triggers.alarms.flatMap((alarm) => {
      const arn = ALARM_ARN.exec(alarm);
      return arn?.[1] && arn[2] ? [{ region: arn[1], name: arn[2] }] : [];
    }),
  );
  const alarmed = alarmRule
    ? elsewhere(alarms.map((a) => a.region)).map((region) => ({
        region,
        rule: {
          ...alarmRule,
          pattern: {
            ...alarmRule.pattern,
            detail: {
              ...(alarmRule.pattern.detail as Record<string, unknown>),
              alarmName: [...new Set(alarms.filter((a) => a.region === region).map((a) => a.name))].sort(),
            },
          },
        },
      }))
    : [];
  return [...sourced, ...alarmed].sort((a, b) => a.region.localeCompare(b.region));
}

export const stateMachines: readonly StateMachineSpec[] = units.flatMap((unit) =>
  unit.stateMachine ? [unit.stateMachine] : [],
);

/** The IAM actions a function or state machine is granted that its code sends itself. */
export function sentActions(permissions: readonly Permission[]): string[] {
  return [...new Set(permissions.filter((p) => !p.implied).flatMap((p) => p.actions))].sort();
}
