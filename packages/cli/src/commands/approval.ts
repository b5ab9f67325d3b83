import { replay } from "../replay.ts";
import { connectAws } from "./aws.ts";
import { actor, configFrom, Failure, printJson, readEvents, say, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/**
 * `switchyard approve|deny ANOMALY_ID`. The simulated account lasts as long as the command, so
 * locally the alerts that led to the approval are replayed first (FILE...), the answer is given
 * once they wait, and the report shows what followed. With --aws the answer goes to the real account.
 */
export async function run({ verb, args, flags }: VerbInput): Promise<number> {
  const decision = verb === "approve" ? "approve" : "deny";
  const [anomalyId, ...files] = args;
  if (!anomalyId)
    throw new UsageError(
      `${verb} needs the anomaly's id, e.g. switchyard ${verb} 12345678-abcd-ef12-3456-987654321a12 alert.json`,
    );
  const by = actor(flags);
  const done = decision === "approve" ? "approved" : "denied";
  const config = await configFrom(flags);
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
