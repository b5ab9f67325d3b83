import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import middy from "@middy/core";
import { type AwsClients, type ClientConstructors, createClients } from "@switchyard/core/aws/clients";
import { type Config, parseConfig } from "@switchyard/core/config/index";
import type { ReactionResult, TriggerDeps } from "@switchyard/core/context";
import { type KnownEvent, parseEvent } from "@switchyard/core/events/parse";
import { logger } from "@switchyard/core/observability/logger";
import type { StateStore } from "@switchyard/core/store/state";
import { stateTable } from "@switchyard/core/store/table";
import { formatZodIssues } from "@switchyard/core/util/zod-error";
import type { Context } from "aws-lambda";
import type * as z from "zod";

/** Everything a Switchyard function needs, created once per container (or per local runtime). */
export interface FunctionContext extends TriggerDeps {
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly dlqUrl: string | undefined;
}

export type ContextProvider = () => FunctionContext;

export const metrics = new Metrics({ namespace: "Switchyard", serviceName: "switchyard" });

/** The environment `stacks/` gives every function. */
export const ENV = {
  table: stateTable.envVar,
  /** The config's JSON file, from LAMBDA_TASK_ROOT (or the working directory): the stack bundles it. */
  configFile: "SWITCHYARD_CONFIG_FILE",
  /** The config's JSON text, for small configs and runs by hand; read only when no file is named. */
  config: "SWITCHYARD_CONFIG",
  deployStateMachine: "SWITCHYARD_DEPLOY_STATE_MACHINE_ARN",
  dlq: "SWITCHYARD_DLQ_URL",
} as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `environment variable ${name} is not set: the stack sets it; set it when running the function by hand`,
    );
  return value;
}

let fromEnv: FunctionContext | undefined;

/**
 * The context in AWS: built lazily from the environment, once per container, with the clients
 * the function declares (its `clients` list).
 */
export const environmentContext =
  (constructors: ClientConstructors): ContextProvider =>
  () => {
    if (fromEnv) return fromEnv;
    const clients = createClients(constructors);
    // A file, because Lambda's 4 KB of environment holds the config of about 15 deployments only.
    const file = process.env[ENV.configFile];
    const inline = file ? undefined : process.env[ENV.config];
    const where = file ? resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), file) : undefined;
    const source = where ? `${where} ($${ENV.configFile})` : `$${ENV.config}`;
    let text: string;
    if (where) {
      try {
        text = readFileSync(where, "utf8");
      } catch (error) {
        throw new Error(
          `${ENV.configFile} is "${file}", but ${where} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ` +
            `deploy with the stack, which bundles the config there, or set ${ENV.configFile} to the config's JSON file ` +
            "(relative to LAMBDA_TASK_ROOT or the working directory)",
          { cause: error },
        );
      }
    } else if (inline) {
      text = inline;
    } else {
      throw new Error(
        `neither ${ENV.configFile} nor ${ENV.config} is set: the stack sets ${ENV.configFile} to the config file it bundles; ` +
          `when running the function by hand, set ${ENV.configFile} to the config's JSON file or ${ENV.config} to its JSON text`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${source} is not JSON (${(error as Error).message}): write the config as JSON, ` +
          "e.g. JSON.stringify of what switchyard.config.ts exports",
        { cause: error },
      );
    }
    const config: Config = parseConfig(raw, source);
    fromEnv = {
      clients,
      config,
      store: { db: clients.dynamodb, table: required(ENV.table), now: () => new Date() },
      now: () => new Date(),
      deployStateMachineArn: process.env[ENV.deployStateMachine] ?? "",
      dlqUrl: process.env[ENV.dlq],
    };
    return fromEnv;
  };

type Kind = KnownEvent["kind"];
type EventOf<K extends Kind> = Extract<KnownEvent, { kind: K }>;

/**
 * The one middy chain for functions that EventBridge invokes: Powertools logger context with
 * the correlation id (the event id) and the reaction; the parser; and the dead-letter path.
 * An event that fails parsing, or is of a kind this function does not take, never throws and
 * never acts: it is logged, counted and sent to the DLQ with its reason, and the function
 * returns the rejection.
 */
export function busHandler<K extends Kind>(
  spec: { reaction: string; accepts: readonly K[] },
  provider: ContextProvider,
  react: (event: EventOf<K>, ctx: FunctionContext) => Promise<ReactionResult>,
) {
  const accepts = new Set<Kind>(spec.accepts);
  const run = async (raw: unknown, _context: Context): Promise<ReactionResult> => {
    const ctx = provider();
    const parsed = parseEvent(raw);
    const id = parsed.ok ? parsed.event.event.id : parsed.id;
    logger.appendKeys({ reaction: spec.reaction, correlationId: id ?? "unknown" });
    if (!parsed.ok || !accepts.has(parsed.event.kind)) {
      const reason = parsed.ok
        ? `${spec.reaction} does not handle ${parsed.event.kind} events (a rule routes them here by mistake)`
        : parsed.reason;
      await reject(ctx, spec.reaction, raw, reason);
      return { reaction: spec.reaction, outcome: "rejected", reason, executions: [] };
    }
    const result = await react(parsed.event as EventOf<K>, ctx);
    count(spec.reaction, `outcome_${result.outcome}`);
    logger.info(`${spec.reaction}: ${result.outcome}`, {
      reason: result.reason,
      executions: result.executions,
    });
    return result;
  };
  return middy(run).use(injectLambdaContext(logger, { resetKeys: true }));
}

/** One EMF metric per outcome, dimensioned by reaction, published at once. */
function count(reaction: string, name: string): void {
  const single = metrics.singleMetric();
  single.addDimension("reaction", reaction);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** Logs, counts and dead-letters a rejected event. A DLQ failure is logged, never thrown. */
async function reject(ctx: FunctionContext, reaction: string, raw: unknown, reason: string): Promise<void> {
  logger.warn("event rejected", { reason });
  count(reaction, "events_rejected");
  if (!ctx.dlqUrl) {
    logger.error("no dead-letter queue configured: rejected event dropped", { reason });
    return;
  }
  let body: string;
  try {
    body = JSON.stringify({ reaction, reason, event: raw });
  } catch {
    body = JSON.stringify({ reaction, reason, event: String(raw) });
  }
  if (Buffer.byteLength(body) > 262_144)
    body = JSON.stringify({ reaction, reason, event: "(too large to keep; see the reason)" });
  try {
    await ctx.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: ctx.dlqUrl,
        MessageBody: body,
        MessageAttributes: {
          reaction: { DataType: "String", StringValue: reaction },
          reason: { DataType: "String", StringValue: reason.slice(0, 1000) },
        },
      }),
    );
  } catch (error) {
    logger.error("could not dead-letter a rejected event", { reason, error: (error as Error).name });
  }
}

/** A step payload schema: what the state machine passes a task function. */
interface StepPayloadSchema<P> {
  safeParse(raw: unknown): { success: true; data: P } | { success: false; error: z.ZodError };
}

/**
 * The one middy chain for state machines' task functions: the payload is validated (an invalid
 * one fails with the error `invalid` builds, named for the machine's Catch), the logs carry the
 * reaction and the execution, and a failed step is logged and thrown again by name — the
 * state machine's Retry and Catch match those names.
 */
export function stepHandler<P extends { action: string; execution: string }>(
  spec: { reaction: string; payload: StepPayloadSchema<P>; invalid: (message: string) => Error },
  run: (payload: P) => Promise<unknown>,
) {
  return middy(async (raw: unknown) => {
    const payload = spec.payload.safeParse(raw);
    if (!payload.success) {
      throw spec.invalid(
        `invalid ${spec.reaction} step payload: ${formatZodIssues(payload.error).join("; ")}`,
      );
    }
    logger.appendKeys({ reaction: spec.reaction, executionArn: payload.data.execution });
    try {
      return await run(payload.data);
    } catch (error) {
      logger.warn(`${spec.reaction} step ${payload.data.action} failed`, {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
