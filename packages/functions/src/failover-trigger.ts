import { onFailoverEvent } from "@switchyard/core/failover/trigger";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/** Set by the stack; locally the failover state machine sits beside the deploy one (`<prefix>-failover`). */
export const FAILOVER_STATE_MACHINE_ENV = "SWITCHYARD_FAILOVER_STATE_MACHINE_ARN";

/** A health-check alarm in ALARM, or an AWS Health issue in a primary region → start the runbook's failover. */
export const make = (provider: ContextProvider) => {
  let failoverStateMachineArn = "";
  // Read with the context, before the event is parsed: every invocation sees the same environment.
  const withArn: ContextProvider = () => {
    const ctx = provider();
    failoverStateMachineArn =
      process.env[FAILOVER_STATE_MACHINE_ENV] ?? ctx.deployStateMachineArn.replace(/deploy$/, "failover");
    return ctx;
  };
  return busHandler(
    { reaction: "failover", accepts: ["cloudwatch.alarm-state-change", "health"] },
    withArn,
    (e, ctx) => onFailoverEvent({ ...ctx, failoverStateMachineArn }, e),
  );
};

export const handler = make(environmentContext);
