import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import { onZonalShiftEvent } from "@switchyard/core/failover/autoshift";
import { onRegionSwitchExecution } from "@switchyard/core/failover/region-switch";
import { onFailoverEvent } from "@switchyard/core/failover/trigger";
import { busHandler, type ContextProvider, environmentContext } from "./runtime.ts";

/**
 * A health-check alarm in ALARM, or an AWS Health issue in a primary region → start the runbook's
 * failover. An ARC zonal shift (autoshift, practice run) or Region switch plan execution → record
 * and notify, no failover.
 */
export const make = (provider: ContextProvider) =>
  busHandler(
    {
      reaction: "failover",
      accepts: ["cloudwatch.alarm-state-change", "health", "arc.zonal-shift", "arc.region-switch-execution"],
    },
    provider,
    (e, ctx) =>
      e.kind === "arc.zonal-shift"
        ? onZonalShiftEvent(ctx, e)
        : e.kind === "arc.region-switch-execution"
          ? onRegionSwitchExecution(ctx, e)
          : onFailoverEvent(ctx, e),
  );

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = {
  cloudwatch: CloudWatchClient,
  sfn: SFNClient,
  sns: SNSClient,
  sqs: SQSClient,
} satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
