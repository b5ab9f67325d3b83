import type { Config } from "@switchyard/core/config/index";
import type { TriggerDeps } from "@switchyard/core/context";
import {
  type DeploymentAction,
  OperatorRefusal,
  operateDeployment,
} from "@switchyard/core/deployments/operator";
import { connectAws, machineArn, missingTable } from "./aws.ts";
import { actor, configFrom, Failure, printJson, say, str, UsageError, type VerbFlags } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/**
 * `switchyard deploy|retry|abort DEPLOYMENT` and `pause|resume DEPLOYMENT` with `--aws` (a running
 * `switchyard dev` answers them locally, through its journal: dev/verbs.ts). ADR 0029.
 */

/** The action the verb's arguments and flags ask for, or a usage error naming the fix. */
export function deploymentAction(verb: string, args: readonly string[], flags: VerbFlags): DeploymentAction {
  const deployment = args[0];
  if (!deployment)
    throw new UsageError(
      `${verb} needs the deployment's name, e.g. switchyard ${verb} api ${verb === "deploy" ? "--tag v2" : '--reason "…"'}`,
    );
  if (args.length > 1)
    throw new UsageError(`${verb} takes one deployment, got "${args.slice(1).join(" ")}" too`);
  const reason = str(flags.reason);
  const image = str(flags.image);
  const tag = str(flags.tag);
  const breakGlass = flags["break-glass"] === true;
  const force = flags.force === true;
  if (verb !== "deploy") {
    if (!reason) throw new UsageError(`${verb} needs --reason "…": it goes into the audit log`);
    if (image || tag || breakGlass || force)
      throw new UsageError(`--image, --tag, --break-glass and --force go with deploy, not ${verb}`);
  } else {
    if ((image === undefined) === (tag === undefined))
      throw new UsageError(
        "deploy needs exactly one of --image URI or --tag TAG, e.g. switchyard deploy api --tag v2",
      );
    if (breakGlass && !reason)
      throw new UsageError(
        '--break-glass needs --reason "…": it goes into the audit log and the notification',
      );
    if (force && !breakGlass)
      throw new UsageError(
        "--force goes with --break-glass (it lets break-glass supersede a paused rollout)",
      );
  }
  return {
    verb: verb as DeploymentAction["verb"],
    deployment,
    by: actor(flags),
    reason: reason ?? "deployed by hand",
    ...(image !== undefined ? { image } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(breakGlass ? { breakGlass } : {}),
    ...(force ? { force } : {}),
  };
}

/** The real account's trigger context: the deploy state machine from the stack's outputs. */
function awsTrigger(config: Config, flags: VerbFlags, dryRun: boolean) {
  const on = connectAws(config, flags, { dryRun });
  const deploy = machineArn(on.stack, "deploy");
  const machines = on.stack.stateMachines;
  const deps: TriggerDeps = {
    ...on.deps,
    config,
    deployStateMachineArn: deploy,
    costStateMachineArn: machines["cost-response"] ?? "",
    rotateOnLeakStateMachineArn: machines["rotate-on-leak"] ?? "",
    failoverStateMachineArn: machines.failover ?? "",
    failbackStateMachineArn: machines.failback ?? "",
  };
  return { on, deps };
}

export async function run({ verb, args, flags }: VerbInput): Promise<number> {
  const action = deploymentAction(verb, args, flags);
  if (!flags.aws)
    throw new UsageError(
      `${verb} acts on a running \`switchyard dev\` (start one in this folder) or on the real account with --aws`,
    );
  const config = await configFrom(flags);
  const { on, deps } = awsTrigger(config, flags, flags["dry-run"] === true);
  try {
    const out = await operateDeployment(deps, action);
    const plan = on.plan;
    if (flags.json) printJson(plan ? { result: out, plan } : out);
    else
      say(
        `${plan ? "would be " : ""}${out.outcome}: ${out.detail}` +
          (plan
            ? `\ndry run: ${plan.length} write(s) not sent${plan.map((w) => `\n  ${w.service} ${w.action}`).join("")}`
            : ""),
      );
    return [
      "started",
      "paused",
      "already-paused",
      "resumed",
      "redriven",
      "unfrozen",
      "not-frozen",
      "rolled-back",
      "already-stable",
    ].includes(out.outcome)
      ? 0
      : 1;
  } catch (error) {
    if (error instanceof OperatorRefusal) throw new Failure(error.message);
    throw missingTable(error, on) ?? error;
  } finally {
    await on.close();
  }
}
