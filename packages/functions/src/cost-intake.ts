import { SFNClient } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import type { ReactionResult } from "@switchyard/core/context";
import { fromSnsLambdaEvent, isSnsLambdaEvent } from "@switchyard/core/cost/anomaly";
import { onCostAnomaly } from "@switchyard/core/cost/trigger";
import { logger } from "@switchyard/core/observability/logger";
import type { Context } from "aws-lambda";
import {
  busHandler,
  type ContextProvider,
  environmentContext,
  eventHandler,
  type FunctionContext,
} from "./runtime.ts";

/**
 * SNS deliveries: every record is judged on its own; a malformed one is rejected with its reason
 * (and dead-lettered by the chain) and never acts.
 */
async function fromSns(raw: unknown, ctx: FunctionContext): Promise<ReactionResult> {
  const results: ReactionResult[] = [];
  for (const record of fromSnsLambdaEvent(raw)) {
    logger.appendKeys({ correlationId: record.messageId ?? "unknown" });
    results.push(
      record.ok
        ? await onCostAnomaly(ctx, record.anomaly)
        : { reaction: "cost", outcome: "rejected", reason: record.reason, executions: [] },
    );
  }
  const first = results[0] ?? { reaction: "cost", outcome: "rejected", reason: "no records", executions: [] };
  const rejections = results.filter((r) => r.outcome === "rejected").map((r) => r.reason);
  return {
    reaction: "cost",
    outcome: results.length === 1 ? first.outcome : results.map((r) => r.outcome).join(","),
    reason: results.map((r) => r.reason).join("; "),
    executions: results.flatMap((r) => r.executions),
    ...(results.length > 1 && rejections.length > 0 ? { rejections } : {}),
  };
}

/**
 * Cost Anomaly Detection alerts, both delivery paths: EventBridge "Anomaly Detected" events (the
 * `cost-anomaly` rule) through the one bus handler chain, and the SNS subscription's Lambda
 * events (`{ Records: [{ EventSource: "aws:sns", Sns: { Message } }] }`), normalised into the
 * same anomaly.
 */
export const make = (provider: ContextProvider) => {
  const bus = busHandler({ reaction: "cost", accepts: ["cost.anomaly"] }, provider, (e, ctx) =>
    onCostAnomaly(ctx, e.anomaly),
  );
  const sns = eventHandler("cost", provider, fromSns);
  return (raw: unknown, context: Context) => (isSnsLambdaEvent(raw) ? sns(raw, context) : bus(raw, context));
};

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { sfn: SFNClient, sqs: SQSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
