import { type EventPattern, matchesPattern, validatePattern } from "@switchyard/core/events/pattern";
import { fail } from "../errors.ts";
import type { AsyncStep, BusEventOut, Kernel, ServiceEvent } from "../kernel.ts";

export interface RuleTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
}

interface RuleRecord {
  /** Rules and buses are regional: an event reaches the rules of the region it is put in. */
  region: string;
  Name: string;
  Arn: string;
  EventBusName: string;
  pattern: EventPattern;
  State: "ENABLED" | "DISABLED";
  Description?: string;
  targets: RuleTarget[];
  ScheduleExpression?: string;
  tags?: Record<string, string>;
}

/** What one target of one matched rule did with an event. */
export interface TargetOutcome {
  rule: string;
  target: string;
  arn: string;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  executionArn?: string;
}

/** What Lambda did later with an event a rule handed a function asynchronously (a retry, a discard). */
export type LaterOutcome = AsyncStep & { rule: string; target: string; arn: string };

export interface Delivery {
  event: BusEventOut;
  /** The enabled rules whose pattern matched; none means EventBridge would never have delivered the event. */
  rules: string[];
  /** Each target's answer; a Lambda target's is its first attempt's (see ADR 0034). */
  outcomes: TargetOutcome[];
  /**
   * Lambda's later steps with the event, appended as they happen in virtual time: a Lambda
   * target's retries after a failed attempt, and the event discarded once every attempt failed.
   */
  later: LaterOutcome[];
}

/** PutEvents' limit on one entry's size (256 KB), measured by `entrySize`. */
const MAX_ENTRY_BYTES = 262_144;

/**
 * EventBridge: buses, rules whose patterns are matched by core's matcher (the very patterns
 * `stacks/` deploys), and targets: Lambda functions (in-process handlers), state machines,
 * SQS queues and SNS topics.
 */
export class EventBridgeService {
  readonly #kernel: Kernel;
  readonly #rules = new Map<string, RuleRecord>();
  readonly #listeners: ((delivery: Delivery) => void)[] = [];
  readonly #laterListeners: ((delivery: Delivery, step: LaterOutcome) => void)[] = [];
  readonly #incoming: ((event: BusEventOut) => void)[] = [];
  readonly deliveries: Delivery[] = [];

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  addRule(rule: {
    name: string;
    pattern: EventPattern;
    targets: RuleTarget[];
    bus?: string;
    description?: string;
    /** The rule's region; the calling client's (the account's outside any call) by default. */
    region?: string;
  }): void {
    const region = rule.region ?? this.#kernel.clientRegion();
    this.#rules.set(`${region}/${rule.bus ?? "default"}/${rule.name}`, {
      region,
      Name: rule.name,
      Arn: this.#kernel.arn("events", `rule/${rule.name}`, region),
      EventBusName: rule.bus ?? "default",
      pattern: rule.pattern,
      State: "ENABLED",
      ...(rule.description ? { Description: rule.description } : {}),
      targets: rule.targets,
    });
  }

  /**
   * Seeds a scheduled rule (a cron or rate expression; it never fires here) with tags: the
   * kind of rule a cost response disables.
   */
  addScheduledRule(rule: {
    name: string;
    schedule: string;
    tags?: Record<string, string>;
    bus?: string;
  }): void {
    const bus = rule.bus ?? "default";
    const region = this.#kernel.clientRegion();
    this.#rules.set(`${region}/${bus}/${rule.name}`, {
      region,
      Name: rule.name,
      Arn: this.#kernel.arn("events", `rule/${rule.name}`),
      EventBusName: bus,
      // A pattern no event has, so deliveries never match a schedule.
      pattern: { source: [`switchyard.schedule/${rule.name}`] },
      State: "ENABLED",
      targets: [],
      ScheduleExpression: rule.schedule,
      ...(rule.tags ? { tags: rule.tags } : {}),
    });
  }

  /** A rule's state, for reports and tests. */
  ruleState(name: string, bus = "default", region = this.#kernel.region): "ENABLED" | "DISABLED" | undefined {
    return this.#rules.get(`${region}/${bus}/${name}`)?.State;
  }

  #ruleNamed(input: Record<string, unknown>): RuleRecord {
    const rule = this.#rules.get(
      `${this.#kernel.clientRegion()}/${String(input.EventBusName ?? "default")}/${String(input.Name)}`,
    );
    if (!rule)
      return fail(
        "ResourceNotFoundException",
        `Rule ${String(input.Name)} does not exist on EventBus ${String(input.EventBusName ?? "default")}.`,
      );
    return rule;
  }

  rules(): readonly {
    name: string;
    bus: string;
    region: string;
    pattern: EventPattern;
    targets: readonly RuleTarget[];
  }[] {
    return [...this.#rules.values()].map((r) => ({
      name: r.Name,
      bus: r.EventBusName,
      region: r.region,
      pattern: r.pattern,
      targets: r.targets,
    }));
  }

  /** Called when an event arrives, before any target runs. */
  onIncoming(listener: (event: BusEventOut) => void): void {
    this.#incoming.push(listener);
  }

  /** Called when every target of an event has answered. */
  onDelivery(listener: (delivery: Delivery) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Called for each later step Lambda takes with a delivered event (a retry, a discard), when it
   * takes it: after the delivery's own listeners, in virtual time.
   */
  onLater(listener: (delivery: Delivery, step: LaterOutcome) => void): void {
    this.#laterListeners.push(listener);
  }

  /** An AWS service emits an event onto the default bus (asynchronously, as AWS does). */
  emit(partial: ServiceEvent): BusEventOut {
    const event = this.#complete(partial);
    void this.#kernel.activity.track(() => this.deliver(event));
    return event;
  }

  /**
   * Delivers a complete event to every matching rule of `bus` in `region` (the calling client's,
   * the account's outside any call) and waits for their answers. An AWS service puts its events
   * on the default bus of the region it acts in: a rule elsewhere sees them only when a rule of
   * that region forwards them to its bus
   * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-region.html).
   */
  async deliver(
    event: BusEventOut,
    bus = "default",
    region = this.#kernel.clientRegion(),
  ): Promise<Delivery> {
    for (const listener of this.#incoming) listener(event);
    const matched = [...this.#rules.values()].filter(
      (r) =>
        r.region === region &&
        r.EventBusName === bus &&
        r.State === "ENABLED" &&
        mayMatch(r.pattern, event) &&
        matchesPattern(r.pattern, event),
    );
    const delivery: Delivery = { event, rules: matched.map((rule) => rule.Name), outcomes: [], later: [] };
    const later = (step: LaterOutcome) => {
      delivery.later.push(step);
      for (const listener of this.#laterListeners) listener(delivery, step);
    };
    delivery.outcomes = await Promise.all(
      matched.flatMap((rule) => rule.targets.map((target) => this.#invokeTarget(rule, target, event, later))),
    );
    this.deliveries.push(delivery);
    for (const listener of this.#listeners) listener(delivery);
    return delivery;
  }

  /**
   * PutEvents is authorized on each entry's event bus, rule actions on the rule, tag reads on
   * the resource named (Service Authorization Reference, Amazon EventBridge).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const bus = (name: unknown) =>
      typeof name === "string" && name.startsWith("arn:")
        ? name
        : this.#kernel.arn("events", `event-bus/${typeof name === "string" && name ? name : "default"}`);
    if (action === "PutEvents")
      return [
        ...new Set(((input.Entries ?? []) as { EventBusName?: string }[]).map((e) => bus(e.EventBusName))),
      ];
    if (action === "ListTagsForResource") return [String(input.ResourceARN ?? "*")];
    if (typeof input.Name === "string") {
      const onBus = typeof input.EventBusName === "string" && input.EventBusName !== "default";
      return [this.#kernel.arn("events", `rule/${onBus ? `${input.EventBusName}/` : ""}${input.Name}`)];
    }
    return ["*"];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "PutEvents":
        return this.#putEvents(input);
      case "PutRule": {
        const name = String(input.Name);
        let pattern: EventPattern;
        try {
          pattern = JSON.parse(String(input.EventPattern)) as EventPattern;
        } catch {
          return fail("InvalidEventPatternException", "Event pattern is not valid. Reason: not valid JSON");
        }
        const key = `${this.#kernel.clientRegion()}/${String(input.EventBusName ?? "default")}/${name}`;
        const existing = this.#rules.get(key);
        this.addRule({
          name,
          pattern,
          targets: existing?.targets ?? [],
          bus: String(input.EventBusName ?? "default"),
        });
        return { RuleArn: this.#kernel.arn("events", `rule/${name}`, this.#kernel.clientRegion()) };
      }
      case "PutTargets": {
        const rule = this.#rules.get(
          `${this.#kernel.clientRegion()}/${String(input.EventBusName ?? "default")}/${String(input.Rule)}`,
        );
        if (!rule) return fail("ResourceNotFoundException", `Rule ${String(input.Rule)} does not exist.`);
        for (const target of (input.Targets ?? []) as RuleTarget[]) {
          rule.targets = [...rule.targets.filter((t) => t.Id !== target.Id), target];
        }
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case "DescribeRule": {
        const rule = this.#ruleNamed(input);
        return {
          Name: rule.Name,
          Arn: rule.Arn,
          State: rule.State,
          EventBusName: rule.EventBusName,
          ...(rule.ScheduleExpression
            ? { ScheduleExpression: rule.ScheduleExpression }
            : { EventPattern: JSON.stringify(rule.pattern) }),
          ...(rule.Description ? { Description: rule.Description } : {}),
        };
      }
      case "DisableRule":
        this.#ruleNamed(input).State = "DISABLED";
        return {};
      case "EnableRule":
        this.#ruleNamed(input).State = "ENABLED";
        return {};
      case "ListTagsForResource": {
        const arn = String(input.ResourceARN ?? "");
        const rule = [...this.#rules.values()].find((r) => r.Arn === arn);
        if (!rule) return fail("ResourceNotFoundException", `Resource ${arn} does not exist.`);
        return { Tags: Object.entries(rule.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
      }
      case "ListRules":
        return {
          Rules: [...this.#rules.values()]
            .filter((r) => r.region === this.#kernel.clientRegion())
            .map((r) => ({
              Name: r.Name,
              Arn: r.Arn,
              State: r.State,
              EventBusName: r.EventBusName,
              EventPattern: JSON.stringify(r.pattern),
            })),
        };
      default:
        return fail("UnsupportedOperation", `the simulated EventBridge does not implement ${action}`);
    }
  }

  #putEvents(input: Record<string, unknown>): unknown {
    const entries = (input.Entries ?? []) as Record<string, unknown>[];
    if (entries.length < 1 || entries.length > 10) {
      return fail(
        "ValidationException",
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10",
      );
    }
    const results = entries.map((entry) => {
      const size = entrySize(entry);
      if (size > MAX_ENTRY_BYTES)
        return {
          ErrorCode: "EventTooLarge",
          ErrorMessage: `Event size ${size} exceeds ${MAX_ENTRY_BYTES} bytes`,
        };
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return {
          ErrorCode: "InvalidArgument",
          ErrorMessage: "Parameters Source, DetailType and Detail are required",
        };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(String(entry.Detail));
      } catch {
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      if (!detail || typeof detail !== "object" || Array.isArray(detail)) {
        return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
      }
      const event = this.#complete({
        source: String(entry.Source),
        "detail-type": String(entry.DetailType),
        resources: (entry.Resources as string[] | undefined) ?? [],
        detail,
        ...(entry.Time
          ? { time: new Date(entry.Time as string | Date).toISOString().replace(/\.\d{3}Z$/, "Z") }
          : {}),
      });
      const bus =
        String(entry.EventBusName ?? "default")
          .split("/")
          .at(-1) ?? "default";
      void this.#kernel.activity.track(() => this.deliver(event, bus));
      return { EventId: event.id };
    });
    return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
  }

  #complete(partial: ServiceEvent & { time?: string }): BusEventOut {
    return {
      version: "0",
      id: this.#kernel.newId(),
      "detail-type": partial["detail-type"],
      source: partial.source,
      account: this.#kernel.accountId,
      time: partial.time ?? this.#kernel.clock.iso().replace(/\.\d{3}Z$/, "Z"),
      region: this.#kernel.clientRegion(),
      resources: partial.resources,
      detail: partial.detail,
    };
  }

  async #invokeTarget(
    rule: RuleRecord,
    target: RuleTarget,
    event: BusEventOut,
    later: (step: LaterOutcome) => void,
  ): Promise<TargetOutcome> {
    const payload = target.Input !== undefined ? JSON.parse(target.Input) : event;
    const base = { rule: rule.Name, target: target.Id, arn: target.Arn };
    const [, , service] = target.Arn.split(":");
    const caller = { principal: `events:rule/${rule.Name}`, eventId: event.id };
    try {
      switch (service) {
        case "lambda": {
          // EventBridge invokes Lambda asynchronously: its part ends once Lambda has queued the
          // event, so the outcome is the first attempt's. Lambda retries a failed attempt a
          // minute later, then two more, and reports those later steps.
          // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
          // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
          const out = await this.#kernel.invokeAsync(target.Arn, payload, caller, (step) =>
            later({ ...step, ...base }),
          );
          return { ...base, ...(out.error ? { error: out.error } : { result: out.result }) };
        }
        case "states": {
          const out = await this.#kernel.runAs(caller, () =>
            this.#kernel.call("states", "StartExecution", {
              stateMachineArn: target.Arn,
              input: JSON.stringify(payload),
            }),
          );
          return { ...base, executionArn: String(out.executionArn) };
        }
        case "sqs": {
          const queue = target.Arn.split(":").at(-1) ?? "";
          await this.#kernel.runAs(caller, () =>
            this.#kernel.call("sqs", "SendMessage", {
              QueueUrl: this.#kernel.queueUrl(queue),
              MessageBody: JSON.stringify(payload),
            }),
          );
          return base;
        }
        case "events": {
          // Another bus as the target (cross-region, cross-account): the event goes on as it is,
          // its `region` still the one it came from.
          const [, , , region, , resource] = target.Arn.split(":");
          const bus = (resource ?? "").replace(/^event-bus\//, "");
          this.#kernel.runAs(caller, () =>
            this.#kernel.recordCall("events", "PutEvents", { EventBusName: target.Arn }),
          );
          const forwarded = await this.deliver(event, bus, region);
          return { ...base, result: { forwarded: forwarded.outcomes.length } };
        }
        case "sns":
          await this.#kernel.runAs(caller, () =>
            this.#kernel.call("sns", "Publish", { TopicArn: target.Arn, Message: JSON.stringify(payload) }),
          );
          return base;
        default:
          return {
            ...base,
            error: { errorType: "UnsupportedTarget", errorMessage: `no simulated target for ${target.Arn}` },
          };
      }
    } catch (error) {
      const e = error as Error;
      return { ...base, error: { errorType: e.name, errorMessage: e.message } };
    }
  }
}

/**
 * The size of a PutEvents entry as EventBridge calculates it: 14 bytes for a `Time` when one is
 * given, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of `Resources` — not
 * the size of the entry's JSON, whose escaping and keys EventBridge does not count.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function entrySize(entry: Record<string, unknown>): number {
  const utf8 = (value: unknown) => (typeof value === "string" ? Buffer.byteLength(value, "utf8") : 0);
  let size = entry.Time !== undefined && entry.Time !== null ? 14 : 0;
  size += utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail);
  for (const resource of (entry.Resources as unknown[] | undefined) ?? []) size += utf8(resource);
  return size;
}

/**
 * A pattern's top-level fields that list exact string values only, by field: most rules name
 * their `source` and `detail-type` that way, and an event whose own string value is not listed
 * cannot match, so the full match (which flattens the event) need not run. Computed once per
 * pattern object.
 */
const exactFields = new WeakMap<EventPattern, readonly [string, ReadonlySet<string>][]>();

/**
 * False only when `event` certainly does not match `pattern`: a top-level field the pattern
 * lists exact strings for holds a string in the event that is not among them. (The matcher
 * reads such a field as the event's only value of that name, so it could match no other way;
 * a field that is absent, not a string, or patterned otherwise is left to the full match, as
 * are a pattern with `$or` and an invalid pattern.)
 */
function mayMatch(pattern: EventPattern, event: BusEventOut): boolean {
  let fields = exactFields.get(pattern);
  if (!fields) {
    // An invalid pattern is left to the full match, which throws on it as before.
    fields =
      "$or" in pattern || validatePattern(pattern).length > 0
        ? []
        : Object.entries(pattern).flatMap(([name, value]) =>
            Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")
              ? [[name, new Set(value as string[])] as [string, ReadonlySet<string>]]
              : [],
          );
    exactFields.set(pattern, fields);
  }
  const values = event as unknown as Record<string, unknown>;
  for (const [name, allowed] of fields) {
    const value = values[name];
    if (typeof value === "string" && !allowed.has(value)) return false;
  }
  return true;
}
