import { connectAws, machineArn } from "./aws.ts";
import { actor, configFrom, printJson, say, UsageError } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** `switchyard failover start|failback|status|approve|deny RUNBOOK`. */
export async function run({ args, flags }: VerbInput): Promise<number> {
  const [action, runbook] = args;
  if (!runbook)
    throw new UsageError(
      `failover ${action} needs the runbook's name, e.g. switchyard failover ${action} orders-db`,
    );
  const config = await configFrom(flags);
  const { answerApproval: approveFailover } = await import("@switchyard/core/failover/approval");
  const { failoverStatus, findRunbook, startFailback, startFailover } = await import(
    "@switchyard/core/failover/operator"
  );
  try {
    findRunbook(config, runbook);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const by = actor(flags);
  const dryRun = flags["dry-run"] === true;
  const print = (data: unknown, human: string) => (flags.json ? printJson(data) : say(human));
  if (flags.aws) {
    // The real account: the run goes on in Step Functions after the command ends.
    const target = connectAws(config, flags);
    if (action === "status") {
      const record = await failoverStatus(target.deps, config, runbook);
      print(
        record,
        record.markdown ??
          `${runbook}: no failover report yet${record.approval ? "; one waits for approval" : ""}`,
      );
    } else if (action === "approve") {
      const out = await approveFailover(target.deps, runbook, { approve: true, by });
      print(out, `approved ${out.executionArn} as ${by}`);
    } else if (action === "deny") {
      if (typeof flags.reason !== "string" || flags.reason === "")
        throw new UsageError("switchyard failover deny needs --reason TEXT (recorded in the audit log)");
      const out = await approveFailover(target.deps, runbook, { approve: false, by, reason: flags.reason });
      print(out, `denied ${out.executionArn} as ${by}: ${flags.reason}`);
    } else {
      const failback = action === "failback";
      const stateMachineArn = machineArn(target.stack, failback ? "failback" : "failover");
      const out = await (failback ? startFailback : startFailover)(target.deps, config, {
        runbook,
        stateMachineArn,
        dryRun,
        by,
      });
      print(out, `started ${out.executionArn}; approve with: switchyard failover approve ${runbook} --aws`);
    }
    return 0;
  }
  if (action !== "start")
    throw new UsageError(
      `locally the simulated account lasts as long as one command: use "switchyard failover start ${runbook} --by NAME", ` +
        "which answers the approval itself (a local failback needs a failover first: see the ignition-failover scenario)",
    );
  const { startControlPlane } = await import("../local/control-plane.ts");
  const plane = await startControlPlane(config);
  try {
    const started = await startFailover(plane.context, config, {
      runbook,
      stateMachineArn: plane.context.failoverStateMachineArn,
      dryRun,
      by,
    });
    await plane.runOut();
    if (plane.account.sfn.waitingTokens().length > 0) {
      if (!flags.by) {
        print(
          { ...started, status: "waiting for approval" },
          `${started.name} waits for approval: run it again with --by NAME to approve`,
        );
        return 1;
      }
      await approveFailover(plane.context, runbook, { approve: true, by });
      await plane.runOut();
    }
    const execution = plane.account.sfn.execution(started.executionArn);
    const record = await failoverStatus(plane.context, config, runbook);
    const ok = execution?.status === "SUCCEEDED";
    print(
      {
        execution: started.executionArn,
        status: execution?.status,
        error: execution?.error,
        cause: execution?.cause,
        report: record.report ?? null,
      },
      ok
        ? (record.markdown ?? "")
        : `${started.name} ${execution?.status}: ${execution?.error ?? ""} ${execution?.cause ?? ""}`,
    );
    return ok ? 0 : 1;
  } finally {
    await plane.close();
  }
}
