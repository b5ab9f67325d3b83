import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import type { ClientConstructors } from "@switchyard/core/aws/clients";
import type { ReactionResult } from "@switchyard/core/context";
import { fromSnsLambdaEvent, isSnsLambdaEvent } from "@switchyard/core/cost/anomaly";
import { type CostTriggerDeps, onCostAnomaly } from "@switchyard/core/cost/trigger";
import { logger } from "@switchyard/core/observability/logger";
import type { Context } from "aws-lambda";
import { busHandler, type ContextProvider, environmentContext, type FunctionContext } from "./runtime.ts";

/** Set by the stack; locally the cost machine sits beside the deploy machine (`<prefix>deploy` → `<prefix>cost-response`). */
export const COST_STATE_MACHINE_ENV = "SWITCHYARD_COST_STATE_MACHINE_ARN";

function costDeps(ctx: FunctionContext, costStateMachineArn: string | undefined): CostTriggerDeps {
  return {
    ...ctx,
    costStateMachineArn: costStateMachineArn ?? ctx.deployStateMachineArn.replace(/deploy$/, "cost-response"),
  };
}

/** SNS deliveries: every record is judged on its own; a malformed one is dead-lettered with its reason and never acts. */
async function fromSns(
  raw: unknown,
  ctx: FunctionContext,
  machine: string | undefined,
): Promise<ReactionResult> {
  const results: ReactionResult[] = [];
  for (const record of fromSnsLambdaEvent(raw)) {
    logger.appendKeys({ reaction: "cost", correlationId: record.messageId ?? "unknown" });
    if (!record.ok) {
      logger.warn("event rejected", { reason: record.reason });
      await deadLetter(ctx, raw, record.reason);
      results.push({ reaction: "cost", outcome: "rejected", reason: record.reason, executions: [] });
      continue;
    }
    results.push(await onCostAnomaly(costDeps(ctx, machine), record.anomaly));
  }
  const first = results[0] ?? { reaction: "cost", outcome: "rejected", reason: "no records", executions: [] };
  return {
    reaction: "cost",
    outcome: results.length === 1 ? first.outcome : results.map((r) => r.outcome).join(","),
    reason: results.map((r) => r.reason).join("; "),
    executions: results.flatMap((r) => r.executions),
  };
}

async function deadLetter(ctx: FunctionContext, raw: unknown, reason: string): Promise<void> {
  if (!ctx.dlqUrl) return;
  try {
    await ctx.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: ctx.dlqUrl,
        MessageBody: JSON.stringify({ reaction: "cost", reason, event: raw }).slice(0, 262_144),
        MessageAttributes: {
          reaction: { DataType: "String", StringValue: "cost" },
          reason: { DataType: "String", StringValue: reason.slice(0, 1000) },
        },
      }),
    );
  } catch (error) {
    logger.error("could not dead-letter a rejected event", { reason, error: (error as Error).name });
  }
}

/**
 * Cost Anomaly Detection alerts, both delivery paths: EventBridge "Anomaly Detected" events (the
 * `cost-anomaly` rule) through the one bus handler chain, and the SNS subscription's Lambda
 * events (`{ Records: [{ EventSource: "aws:sns", Sns: { Message } }] }`), normalised into the
 * same anomaly.
 */
export const make = (provider: ContextProvider) => {
  let machine: string | undefined;
  const bus = busHandler({ reaction: "cost", accepts: ["cost.anomaly"] }, provider, (e, ctx) =>
    onCostAnomaly(costDeps(ctx, machine), e.anomaly),
  );
  const sns = middy(async (raw: unknown, _context: Context) => fromSns(raw, provider(), machine)).use(
    injectLambdaContext(logger, { resetKeys: true }),
  );
  return (raw: unknown, context: Context) => {
    // Read on every invocation, like the rest of the environment, so a test or a redeploy sees it.
    machine = process.env[COST_STATE_MACHINE_ENV];
    return isSnsLambdaEvent(raw) ? sns(raw, context) : bus(raw, context);
  };
};

/** The AWS clients this function's code uses: only these SDK packages go into its bundle. */
export const clients = { sfn: SFNClient, sqs: SQSClient } satisfies ClientConstructors;

export const handler = make(environmentContext(clients));
