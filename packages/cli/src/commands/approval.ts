import { replay } from "../replay.ts";
import { connectAws } from "./aws.ts";
import { actor, configFrom, Failure, printJson, readEvents, say, str, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/**
 * `switchyard approve|deny DEPLOYMENT --reason R`: a deployment step waiting at its approval
 * gate (gates.ts). The gate waits in a running `switchyard dev` (which answers it before this
 * runs, through its journal) or, with --aws, in the real account; a fresh simulated account has
 * nothing waiting, so that is refused with the way to do it.
 */
async function deploymentApproval(
  { verb, args, flags }: VerbInput,
  config: Awaited<ReturnType<typeof configFrom>>,
): Promise<number> {
  const [deployment, ...rest] = args;
  const reason = str(flags.reason);
  if (!reason) throw new UsageError(`${verb} ${deployment} needs --reason "…": it goes into the audit log`);
  if (rest.length > 0) throw new UsageError(`${verb} ${deployment} takes no FILE`);
  if (!flags.aws)
    throw new UsageError(
      `no switchyard dev runs here, so nothing of ${deployment} waits for approval on the simulated account: start \`switchyard dev\`, or answer the real account with --aws`,
    );
  const { decideDeployApproval } = await import("@switchyard/core/deployments/gates");
  const by = actor(flags);
  const target = connectAws(config, flags);
  try {
    const out = await decideDeployApproval(
      target.deps,
      String(deployment),
      verb === "approve" ? "approve" : "deny",
      by,
      reason,
    );
    if (flags.json) printJson(out);
    else
      say(
        `${verb === "approve" ? "approved" : "denied"} step ${out.step} of ${deployment} by ${by}: ${out.executionArn}`,
      );
    return 0;
  } catch (error) {
    // Nothing waits, the wait is stale, or it was answered: the operation failed, not the call.
    if ((error as { $metadata?: unknown }).$metadata === undefined)
      throw new Failure((error as Error).message);
    throw error;
  }
}

/**
 * `switchyard approve|deny ANOMALY_ID`. The simulated account lasts as long as the command, so
 * locally the alerts that led to the approval are replayed first (FILE...), the answer is given
 * once they wait, and the report shows what followed. With --aws the answer goes to the real account.
 */
export async function run({ verb, args, flags }: VerbInput): Promise<number> {
  const decision = verb === "approve" ? "approve" : "deny";
  const [anomalyId, ...files] = args;
  const config = await configFrom(flags);
  if (anomalyId && config.deployments.some((d) => d.name === anomalyId))
    return deploymentApproval({ verb, args, flags }, config);
  if (!anomalyId)
    throw new UsageError(
      `${verb} needs the anomaly's id, e.g. switchyard ${verb} 12345678-abcd-ef12-3456-987654321a12 alert.json`,
    );
  const by = actor(flags);
  const done = decision === "approve" ? "approved" : "denied";
  const { decideApproval } = await import("@switchyard/core/cost/approval");
  if (flags.aws) {
    if (files.length > 0) throw new UsageError(`${verb} --aws answers the real account: give no FILE`);
    const target = connectAws(config, flags);
    let out: Awaited<ReturnType<typeof decideApproval>>;
    try {
      out = await decideApproval(target.deps, anomalyId, decision, by);
    } catch (error) {
      // The anomaly waits for nothing, or its execution moved on: the operation failed, not the call.
      if ((error as { $metadata?: unknown }).$metadata === undefined)
        throw new Failure((error as Error).message);
      throw error;
    }
    if (flags.json) printJson(out);
    else say(`${done}: ${out.executionArn}`);
    return 0;
  }
  if (files.length === 0)
    throw new UsageError(
      `${verb} on the simulated account needs the alert FILE(s) to replay first (the account lasts as long as the command); use --aws for a real account`,
    );
  const events = await readEvents(files);
  let answer = "";
  const report = await replay(config, events, {
    afterEvents: async (plane) => {
      try {
        await decideApproval(plane.context, anomalyId, decision, by);
        await plane.settle();
        answer = `${done} by ${by}`;
      } catch (error) {
        answer = (error as Error).message;
      }
    },
  });
  const ok = answer.endsWith(`by ${by}`);
  if (flags.json) printJson({ answer, ...report });
  else {
    say(answer);
    for (const a of report.audit.filter((r) => r.reaction === "cost"))
      say(`  ${a.decision.padEnd(18)} ${a.reason}`);
  }
  return ok ? 0 : 1;
}
