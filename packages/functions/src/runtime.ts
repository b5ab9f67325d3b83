import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import middy, { type MiddlewareObj } from "@middy/core";
import { type AwsClients, type ClientConstructors, createClients } from "@switchyard/core/aws/clients";
import type { Config } from "@switchyard/core/config/index";
import { isPreparedConfig, PREPARE_COMMAND, readPreparedConfig } from "@switchyard/core/config/prepared";
import {
  ENV,
  type ReactionResult,
  STATE_MACHINE_ENV,
  type StateMachineArns,
  type TriggerDeps,
} from "@switchyard/core/context";
import { type KnownEvent, parseEvent } from "@switchyard/core/events/parse";
import { injectLambdaContext, logger } from "@switchyard/core/observability/logger";
import { foreignEvent } from "@switchyard/core/provenance";
import type { StateStore } from "@switchyard/core/store/state";
import type { StepSpec } from "@switchyard/core/unit";
import type { Context } from "aws-lambda";

/** Everything a Switchyard function needs, created once per container (or per local runtime). */
export interface FunctionContext extends TriggerDeps {
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly dlqUrl: string | undefined;
}

export type ContextProvider = () => FunctionContext;

/**
 * The one Metrics instance, made when the first metric is counted: the step functions count none,
 * so their bundles leave Powertools Metrics out, and no handler builds it while it is imported.
 */
let metrics: Metrics | undefined;

/** The environment `stacks/` gives the functions: its names live in core, beside the wiring that declares them. */
export { ENV };

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
 * the function declares (its `clients` list). The config is the one the stack prepared (ADR
 * 0033): validated when the stack was planned, read here with `JSON.parse` and a digest check,
 * so no function builds the zod config schema, at import or on its first invocation.
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
            `deploy with the stack, which bundles the config there, or set ${ENV.configFile} to a file written with ${PREPARE_COMMAND} ` +
            "(relative to LAMBDA_TASK_ROOT or the working directory)",
          { cause: error },
        );
      }
    } else if (inline) {
      text = inline;
    } else {
      throw new Error(
        `neither ${ENV.configFile} nor ${ENV.config} is set: the stack sets ${ENV.configFile} to the config file it bundles; ` +
          `when running the function by hand, write the config with ${PREPARE_COMMAND} and set ${ENV.configFile} to that file or ${ENV.config} to its text`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${source} is not JSON (${(error as Error).message}): deploy with the stack, which writes it, ` +
          `or write it with ${PREPARE_COMMAND}`,
        { cause: error },
      );
    }
    if (!isPreparedConfig(raw)) {
      throw new Error(
        `${source} holds a config as written, not one the stack prepared: a function reads only a config validated before it ` +
          `(config/prepared.ts), and carries no parser. Deploy with the stack, or write it with ${PREPARE_COMMAND}`,
      );
    }
    const config: Config = readPreparedConfig(raw, source);
    fromEnv = {
      clients,
      config,
      store: { db: clients.dynamodb, table: required(ENV.table), now: () => new Date() },
      now: () => new Date(),
      // Every state machine's ARN, read once: no function derives one from another by name.
      ...stateMachineArns(),
      dlqUrl: process.env[ENV.dlq],
    };
    return fromEnv;
  };

function stateMachineArns(): StateMachineArns {
  const entries = Object.entries(STATE_MACHINE_ENV).map(([field, name]) => [field, process.env[name] ?? ""]);
  return Object.fromEntries(entries) as unknown as StateMachineArns;
}

type Kind = KnownEvent["kind"];
type EventOf<K extends Kind> = Extract<KnownEvent, { kind: K }>;

/**
 * The one middy chain for functions that EventBridge invokes: Powertools logger context with
 * the correlation id (the event id) and the reaction; the parser; and the dead-letter path.
 * An event that fails parsing, or is of a kind this function does not take, never throws and
 * never acts: the function returns the rejection, and `deadLetters` logs, counts and sends it
 * to the DLQ with its reason.
 */
export function busHandler<K extends Kind>(
  spec: { reaction: string; accepts: readonly K[] },
  provider: ContextProvider,
  react: (event: EventOf<K>, ctx: FunctionContext) => Promise<ReactionResult>,
) {
  const accepts = new Set<Kind>(spec.accepts);
  return eventHandler(spec.reaction, provider, async (raw: unknown, ctx): Promise<ReactionResult> => {
    const parsed = parseEvent(raw);
    const id = parsed.ok ? parsed.event.event.id : parsed.id;
    logger.appendKeys({ correlationId: id ?? "unknown" });
    if (!parsed.ok || !accepts.has(parsed.event.kind)) {
      const reason = parsed.ok
        ? `${spec.reaction} does not handle ${parsed.event.kind} events (a rule routes them here by mistake)`
        : parsed.reason;
      return { reaction: spec.reaction, outcome: "rejected", reason, executions: [] };
    }
    // Provenance: an event from an account or region the config does not name is never acted on.
    const foreign = foreignEvent(ctx.config, parsed.event.event);
    if (foreign) return { reaction: spec.reaction, outcome: "rejected", reason: foreign, executions: [] };
    const result = await react(parsed.event as EventOf<K>, ctx);
    count(spec.reaction, `outcome_${result.outcome}`);
    logger.info(`${spec.reaction}: ${result.outcome}`, {
      reason: result.reason,
      executions: result.executions,
    });
    return result;
  });
}

/**
 * The chain of every function that is handed events (the bus, an SNS subscription, a schedule):
 * the logger context with the reaction, and the one dead-letter middleware. The context is read
 * before the event, so every invocation sees the same environment.
 */
export function eventHandler<R>(
  reaction: string,
  provider: ContextProvider,
  run: (raw: unknown, ctx: FunctionContext) => Promise<R>,
) {
  return middy(async (raw: unknown, _context: Context) => {
    const ctx = provider();
    logger.appendKeys({ reaction });
    return run(raw, ctx);
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(deadLetters(reaction, provider));
}

/**
 * One EMF metric per outcome, dimensioned by reaction, published at once: what `singleMetric()`
 * does, on the container's one Metrics instead of a new one (with its own console) per outcome,
 * ~50 µs less each. From the dimension to the flush it is synchronous, so invocations interleaved
 * in one process (the local control plane) never mix their dimensions; the flush clears them.
 */
function count(reaction: string, name: string): void {
  metrics ??= new Metrics({ namespace: "Switchyard", serviceName: "switchyard" });
  metrics.addDimension("reaction", reaction);
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/**
 * Bytes a dead-letter message may take, body and attributes together. Standard queues accept up to
 * 1 MiB since 2025 (SendMessage's MessageBody: "The maximum size is 1 MiB or 1,048,576 bytes",
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/sqs/aws.sdk.kotlin.services.sqs.model/-send-message-request/message-body.html),
 * but a queue's own MaximumMessageSize still defaults to 256 KiB where the queue was made without
 * one (https://pub.dev/documentation/pulumi_aws/latest/sqs/Queue/maxMessageSize.html: "The default
 * for this attribute is 262144 (256 KiB)"), and the stack sets none: 256 KiB holds on every queue.
 */
export const DEAD_LETTER_MESSAGE_LIMIT = 262_144;
/** What the two attributes may take: the reason is cut to 1000 characters (at most 4 bytes each). */
const ATTRIBUTES_RESERVE = 4_096;
/** The body's share of the message. */
export const DEAD_LETTER_BODY_LIMIT = DEAD_LETTER_MESSAGE_LIMIT - ATTRIBUTES_RESERVE;

/**
 * The dead-letter message body: the reaction, the reason and the event. An event too large to
 * keep (or that cannot be written as JSON) is replaced by a summary — its id, source, detail-type
 * and size — never cut, so the body always parses.
 */
export function deadLetterBody(reaction: string, reason: string, raw: unknown): string {
  let event: string | undefined;
  try {
    event = JSON.stringify(raw);
  } catch {
    event = undefined;
  }
  const whole = event === undefined ? undefined : JSON.stringify({ reaction, reason, event: raw ?? null });
  if (whole !== undefined && Buffer.byteLength(whole) <= DEAD_LETTER_BODY_LIMIT) return whole;
  const fields = (raw ?? {}) as Record<string, unknown>;
  const short = (value: unknown) => (typeof value === "string" ? value.slice(0, 256) : null);
  const summary = {
    reaction,
    // A reason is ours and short, but a parser may quote the event: keep it within bounds too.
    reason: reason.slice(0, 4_096),
    event: {
      omitted: event === undefined ? "not serialisable as JSON" : "too large for the dead-letter queue",
      id: short(fields.id),
      source: short(fields.source),
      "detail-type": short(fields["detail-type"]),
      bytes: event === undefined ? null : Buffer.byteLength(event),
      limit: DEAD_LETTER_BODY_LIMIT,
    },
  };
  return JSON.stringify(summary);
}

/** The rejections a handler returned: one rejected result, or the rejected parts of a batch (SNS records). */
function rejectionsOf(response: unknown): string[] {
  const r = response as Partial<ReactionResult> | null | undefined;
  if (r?.rejections) return [...r.rejections];
  return r?.outcome === "rejected" && typeof r.reason === "string" ? [r.reason] : [];
}

/**
 * The one dead-letter middleware: every rejection a handler returns is logged, counted and sent to
 * the DLQ with its reason and the event. A DLQ failure is logged, never thrown: the rejection
 * stands either way.
 */
export function deadLetters(reaction: string, provider: ContextProvider): MiddlewareObj<unknown, unknown> {
  return {
    after: async (request) => {
      for (const reason of rejectionsOf(request.response)) {
        logger.warn("event rejected", { reason });
        count(reaction, "events_rejected");
        const ctx = provider();
        if (!ctx.dlqUrl) {
          logger.error("no dead-letter queue configured: rejected event dropped", { reason });
          continue;
        }
        try {
          await ctx.clients.sqs.send(
            new SendMessageCommand({
              QueueUrl: ctx.dlqUrl,
              MessageBody: deadLetterBody(reaction, reason, request.event),
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
    },
  };
}

/** The steps of a unit, with the reaction that logs them. */
export interface StepUnit<A extends string, D, I, P> {
  readonly reaction: string;
  readonly steps: StepSpec<A, D, I, P>;
}

/**
 * Runs one step of a unit: the invocation is validated (a bad one fails with the unit's named
 * error), its action must be one of the unit's actions (otherwise the unit's "unknown" error),
 * the workflow input is validated, and the action's step runs. Errors are thrown by name: the
 * state machine's Retry and Catch (or Secrets Manager) match them.
 */
export async function runStep<A extends string, D, I, P>(
  unit: StepUnit<A, D, I, P>,
  deps: D,
  raw: unknown,
): Promise<unknown> {
  const spec = unit.steps;
  const payload = spec.payload(raw);
  logger.appendKeys(spec.logKeys(payload));
  const action = spec.action(payload);
  logger.appendKeys({ step: action });
  if (!(spec.actions as readonly string[]).includes(action)) throw spec.unknown(action, spec.actions);
  const input = spec.input(payload);
  const result = await spec.steps[action as A](deps, input, payload);
  if (spec.summary) logger.info(`${unit.reaction} ${action}`, spec.summary(payload, result));
  return result;
}

/**
 * The one middy chain for the functions that run a unit's steps (the state machines' task
 * functions, and Secrets Manager's rotation function): the context is read first, the logs
 * carry the reaction and the invocation, and a failed step is logged and thrown again by name.
 */
export function stepHandler<A extends string, D, I, P>(unit: StepUnit<A, D, I, P>, deps: () => D) {
  return middy(async (raw: unknown) => {
    const d = deps();
    logger.appendKeys({ reaction: unit.reaction });
    try {
      return await runStep(unit, d, raw);
    } catch (error) {
      logger.warn(`${unit.reaction} step failed`, {
        error: (error as Error).name,
        message: (error as Error).message,
      });
      throw error;
    }
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
