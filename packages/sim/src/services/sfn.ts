import { randomUUID } from "node:crypto";
import { isHumanWait } from "@switchyard/core/workflows/asl";
import { type RunOptions, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { cacheAslSchemas } from "../asl-validation.ts";
import { ExecutionHold } from "../clock.ts";
import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

/** Local-only resource a Wait state is turned into, so that it waits on the virtual clock. */
const VIRTUAL_WAIT = "arn:aws:states:::switchyard:virtualWait";
/** Hidden parameter that carries a TimeoutSecondsPath value to the task in the local definition. */
const TIMEOUT_PARAMETER = "switchyard:timeoutSeconds";
/** Real-time bound the interpreter puts on a task (its default is 60 s); timeouts are enforced virtually instead. */
const REAL_TIME_BOUND_SECONDS = 2_000_000;
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
/** Execution names: 1–80 characters, none of Step Functions' forbidden ones, no control characters. */
const validName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !NAME_FORBIDDEN.test(name) &&
  ![...name].some((c) => c.charCodeAt(0) < 32 || (c.charCodeAt(0) >= 127 && c.charCodeAt(0) <= 159));

/**
 * When RedriveExecution may restart an execution: not RUNNING, not SUCCEEDED, within the
 * redrivable period of 14 days from when it stopped, within the maximum open time of one
 * year, and with fewer than 24,999 history events (a redrive appends at least two).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html
 * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-executions.html
 */
const REDRIVABLE_PERIOD_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_OPEN_MS = 365 * 24 * 60 * 60 * 1000;
const MAX_HISTORY_EVENTS_TO_REDRIVE = 24_999;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type State = Record<string, unknown> & { Type: string };
type Status = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";

export interface HistoryEvent {
  id: number;
  timestamp: string;
  type: string;
  stateName?: string;
  input?: Json;
  output?: Json;
  error?: string;
  cause?: string;
}

interface StateMachineRecord {
  arn: string;
  region: string;
  name: string;
  definition: StateMachineDefinition;
  roleArn: string;
  creationDate: Date;
  /**
   * The interpreter for the local form of the definition, by the state it starts at: built
   * once and reused by every execution (it keeps no execution state). The one that starts at
   * `StartAt` was validated when the state machine was created.
   */
  interpreters: Map<string, Interpreter>;
}

/** What an execution needs of a definition, computed once per state machine and start state. */
interface Interpreter {
  machine: StateMachine;
  /** Every state, nested ones included, with its name. */
  states: [string, State][];
  topLevel: Set<string>;
  /** States that were Wait states before the local definition turned them into tasks. */
  waits: Set<string>;
}

interface TokenRecord {
  executionArn: string;
  state: "issued" | "waiting" | "closed";
  outcome?: { output: Json } | { error: string; cause: string };
  settle?: (outcome: { output: Json } | { error: string; cause: string }) => void;
}

export interface ExecutionRecord {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  status: Status;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /** Id of the event whose reaction started it, for attributing its calls. */
  eventId?: string;
  history: HistoryEvent[];
  redriveCount: number;
  redriveDate?: Date;
  /** Top-level states entered, with their input, in order: what a redrive resumes from. */
  entered: { name: string; input: Json; exited: boolean }[];
  abort?: () => void;
  controller: AbortController;
  hold: ExecutionHold;
  done: Promise<void>;
}

/**
 * Definitions (in their local form) that asl-validator accepted in this process: a definition
 * is the same data every time a simulated account is created with it, and validating it again
 * only compiles the same schemas again.
 */
const VALID_DEFINITIONS = new Set<string>();
cacheAslSchemas();

/** Error an overridden task throws so the interpreter's Retry/Catch match it by name. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * Step Functions: state machines executed by aws-local-stepfunctions (a real ASL
 * interpreter) with every Task resource answered by the simulated account (Lambda invoke,
 * AWS SDK integrations, optimised integrations, `.waitForTaskToken`), Wait states and task
 * timeouts on the virtual clock, execution-name idempotency, StopExecution, task tokens and
 * RedriveExecution from the failed state. A state machine lives in one region: only a client of
 * that region reaches it, and its AWS SDK integrations act in that region only (an integration
 * has no Region parameter; AWS's own cross-region pattern is a Lambda function that calls the
 * other region: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_stepfunctions_tasks.CallAwsServiceCrossRegion.html).
 */
export class SfnService {
  readonly #kernel: Kernel;
  readonly #machines = new Map<string, StateMachineRecord>();
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #tokens = new Map<string, TokenRecord>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  createStateMachine(
    name: string,
    definition: object,
    roleArn = this.#kernel.arn("iam", `role/${name}`, ""),
    region = this.#kernel.region,
  ): string {
    const arn = this.#kernel.arn("states", `stateMachine:${name}`, region);
    const asl = definition as StateMachineDefinition;
    // CreateStateMachine validates the definition and refuses an invalid one (Step Functions API
    // Reference, CreateStateMachine: InvalidDefinition). Validating here, once, spares every
    // execution asl-validator's schema compilation (~125 ms each).
    const local = localDefinition(asl, asl.StartAt);
    const text = JSON.stringify(local);
    let validated: StateMachine;
    try {
      validated = new StateMachine(local, {
        validationOptions: VALID_DEFINITIONS.has(text)
          ? { noValidate: true }
          : { checkArn: false, checkPaths: true },
      });
      VALID_DEFINITIONS.add(text);
    } catch (error) {
      return fail("InvalidDefinition", `Invalid State Machine Definition: ${(error as Error).message}`);
    }
    this.#machines.set(arn, {
      arn,
      region,
      name,
      definition: asl,
      roleArn,
      creationDate: this.#kernel.clock.date(),
      interpreters: new Map([[asl.StartAt, interpreter(asl, validated)]]),
    });
    return arn;
  }

  executions(stateMachineArn?: string): readonly ExecutionRecord[] {
    return [...this.#executions.values()].filter(
      (e) => !stateMachineArn || e.stateMachineArn === stateMachineArn,
    );
  }

  execution(arn: string): ExecutionRecord | undefined {
    return this.#executions.get(arn);
  }

  /** Task tokens issued to executions that are waiting on them now. */
  waitingTokens(): { token: string; executionArn: string }[] {
    return [...this.#tokens.entries()]
      .filter(([, t]) => t.state === "waiting")
      .map(([token, t]) => ({ token, executionArn: t.executionArn }));
  }

  /**
   * StartExecution and ListExecutions are authorized on the state machine, execution actions on
   * the execution; a task token's SendTask* on the state machine whose execution issued it
   * (Service Authorization Reference, AWS Step Functions).
   */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    if (typeof input.stateMachineArn === "string") return [input.stateMachineArn];
    if (typeof input.executionArn === "string") return [input.executionArn];
    if (typeof input.taskToken === "string") {
      const execution = this.#executions.get(this.#tokens.get(input.taskToken)?.executionArn ?? "");
      if (execution) return [execution.stateMachineArn];
    }
    return ["*"];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "StartExecution":
        return this.#start(input);
      case "DescribeExecution":
        return this.#describe(this.#execution(input.executionArn));
      case "StopExecution":
        return this.#stop(input);
      case "ListExecutions":
        return {
          executions: this.executions(String(input.stateMachineArn))
            .filter((e) => !input.statusFilter || e.status === input.statusFilter)
            .map((e) => this.#listed(e)),
        };
      case "GetExecutionHistory":
        return { events: this.#execution(input.executionArn).history };
      case "SendTaskSuccess": {
        let output: Json;
        try {
          output = JSON.parse(String(input.output)) as Json;
        } catch {
          return fail("InvalidOutput", "Invalid output: the output must be valid JSON");
        }
        return this.#settleToken(input.taskToken, { output });
      }
      case "SendTaskFailure":
        return this.#settleToken(input.taskToken, {
          error: String(input.error ?? ""),
          cause: String(input.cause ?? ""),
        });
      case "SendTaskHeartbeat":
        this.#token(input.taskToken);
        return {};
      case "RedriveExecution":
        return this.#redrive(input);
      case "DescribeStateMachine": {
        const sm = this.#machine(input.stateMachineArn);
        if (!sm)
          return fail(
            "StateMachineDoesNotExist",
            `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
          );
        return {
          stateMachineArn: sm.arn,
          name: sm.name,
          definition: JSON.stringify(sm.definition),
          roleArn: sm.roleArn,
          type: "STANDARD",
          status: "ACTIVE",
          creationDate: sm.creationDate,
        };
      }
      default:
        return fail("UnsupportedOperation", `the simulated Step Functions does not implement ${action}`);
    }
  }

  /** A state machine of the calling client's region. */
  #machine(arn: unknown): StateMachineRecord | undefined {
    const sm = this.#machines.get(String(arn));
    return sm?.region === this.#kernel.clientRegion() ? sm : undefined;
  }

  #start(input: Record<string, unknown>): unknown {
    const sm = this.#machine(input.stateMachineArn);
    if (!sm)
      return fail(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${String(input.stateMachineArn)}'`,
      );
    const name = input.name === undefined ? randomUUID() : String(input.name);
    if (!validName(name)) return fail("InvalidName", `Invalid Name: '${name}'`);
    const text = input.input === undefined ? "{}" : String(input.input);
    let parsed: Json;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      return fail(
        "InvalidExecutionInput",
        "Invalid State Machine Execution Input: the input must be valid JSON",
      );
    }
    const arn = this.#kernel.arn("states", `execution:${sm.name}:${name}`, sm.region);
    const existing = this.#executions.get(arn);
    if (existing) {
      // Standard workflows: same name + same input while running is idempotent; anything else is a conflict.
      if (existing.status === "RUNNING" && existing.input === text)
        return { executionArn: arn, startDate: existing.startDate };
      return fail("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    }
    const caller = this.#kernel.caller();
    const execution: ExecutionRecord = {
      arn,
      name,
      stateMachineArn: sm.arn,
      input: text,
      status: "RUNNING",
      startDate: this.#kernel.clock.date(),
      ...(caller.eventId ? { eventId: caller.eventId } : {}),
      history: [],
      redriveCount: 0,
      entered: [],
      controller: new AbortController(),
      hold: new ExecutionHold(this.#kernel.activity),
      done: Promise.resolve(),
    };
    this.#executions.set(arn, execution);
    this.#run(sm, execution, parsed, sm.definition.StartAt);
    return { executionArn: arn, startDate: execution.startDate };
  }

  #run(sm: StateMachineRecord, execution: ExecutionRecord, input: Json, startAt: string): void {
    const { machine, states: tasks } = this.#interpreter(sm, startAt);
    const handlers: Record<string, (params: unknown) => Promise<Json>> = {};
    const retries: Record<string, number> = {};
    for (const [name, state] of tasks) {
      if (state.Type === "Task" || state.Type === "Wait") {
        handlers[name] = (params) => this.#task(execution, name, state, params as Json);
      }
      if (Array.isArray(state.Retry)) retries[name] = 0;
    }
    const self = this;
    const context = {
      Execution: {
        Id: execution.arn,
        Name: execution.name,
        RoleArn: sm.roleArn,
        RedriveCount: execution.redriveCount,
      },
      StateMachine: { Id: sm.arn, Name: sm.name },
      Task: {
        get Token() {
          return self.#issueToken(execution);
        },
      },
    };
    const options: RunOptions = {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retries },
      context,
    };
    execution.hold.begin();
    execution.controller = new AbortController();
    const caller = {
      principal: `states:${sm.name}`,
      ...(execution.eventId ? { eventId: execution.eventId } : {}),
    };
    // Every task runs in the state machine's region: its SDK integrations act there.
    const run = this.#kernel.inRegion(sm.region, () =>
      this.#kernel.runAs(caller, () => machine.run(input, options)),
    );
    execution.abort = run.abort;
    const logs = this.#consume(this.#interpreter(sm, startAt), execution, run.eventLogs);
    execution.done = run.result.then(
      async (output) => {
        await logs;
        this.#close(execution, "SUCCEEDED", { output: JSON.stringify(output ?? null) });
      },
      async (error: Error) => {
        await logs;
        if (execution.status !== "RUNNING") return; // stopped: already closed by StopExecution
        const failed = [...execution.history].reverse().find((h) => h.type === "ExecutionFailed");
        const timedOut =
          error.name === "ExecutionTimeoutError" || error.constructor.name === "ExecutionTimeoutError";
        this.#close(execution, timedOut ? "TIMED_OUT" : "FAILED", {
          error: failed?.error ?? (timedOut ? "States.Timeout" : error.name),
          cause: failed?.cause ?? error.message,
        });
      },
    );
  }

  /**
   * The interpreter that starts at `startAt`. A redrive starts at the failed state, which leaves
   * the earlier states unreachable: its definition is not validated again (the whole one was,
   * at creation).
   */
  #interpreter(sm: StateMachineRecord, startAt: string): Interpreter {
    let found = sm.interpreters.get(startAt);
    if (!found) {
      const machine = new StateMachine(localDefinition(sm.definition, startAt), {
        validationOptions: { noValidate: true },
      });
      found = interpreter(sm.definition, machine);
      sm.interpreters.set(startAt, found);
    }
    return found;
  }

  async #consume(
    { topLevel, waits: wasWait }: Interpreter,
    execution: ExecutionRecord,
    logs: AsyncGenerator<object>,
  ): Promise<void> {
    for await (const entry of logs) {
      const log = entry as Record<string, unknown>;
      const state = log.state as { name: string; type: string; input?: Json; output?: Json } | undefined;
      const nested = log.index !== undefined || log.parentState !== undefined;
      const type = state
        ? `${wasWait.has(state.name) ? "Wait" : state.type}${String(log.type)}`
        : String(log.type);
      const event: HistoryEvent = {
        id: execution.history.length + 1,
        timestamp: this.#kernel.clock.iso(),
        type,
        ...(state ? { stateName: state.name } : {}),
        ...(log.type === "StateEntered" || log.type === "ExecutionStarted"
          ? { input: (state?.input ?? log.input) as Json }
          : {}),
        ...(log.type === "StateExited" ? { output: state?.output as Json } : {}),
        ...(log.Error !== undefined
          ? {
              error: String(log.Error),
              cause: typeof log.Cause === "string" ? log.Cause : JSON.stringify(log.Cause),
            }
          : {}),
      };
      execution.history.push(event);
      if (state && !nested && topLevel.has(state.name)) {
        if (log.type === "StateEntered")
          execution.entered.push({ name: state.name, input: state.input as Json, exited: false });
        if (log.type === "StateExited") {
          const last = [...execution.entered].reverse().find((e) => e.name === state.name && !e.exited);
          if (last) last.exited = true;
        }
      }
    }
  }

  async #task(execution: ExecutionRecord, stateName: string, state: State, params: Json): Promise<Json> {
    const resource = String(state.Resource ?? "");
    const work = async (): Promise<Json> => {
      if (state.Type === "Wait") {
        await this.#kernel.clock.sleep(waitMs(params, this.#kernel.clock.now()), {
          label: `${execution.name}/${stateName}`,
          signal: execution.controller.signal,
          hold: execution.hold,
        });
        return {};
      }
      const waitForToken = resource.endsWith(".waitForTaskToken");
      const token = waitForToken ? this.#findToken(execution, params) : undefined;
      if (waitForToken && !token) {
        throw new TaskError(
          "States.Runtime",
          `${stateName}: a .waitForTaskToken task must pass $$.Task.Token in its Parameters`,
        );
      }
      const result = await this.#integration(resource.replace(/\.waitForTaskToken$/, ""), params);
      if (!token) return result;
      return this.#waitForToken(execution, token, stateName);
    };
    let timeoutSeconds = typeof state.TimeoutSeconds === "number" ? state.TimeoutSeconds : undefined;
    if (params && typeof params === "object" && !Array.isArray(params) && TIMEOUT_PARAMETER in params) {
      const { [TIMEOUT_PARAMETER]: fromPath, ...rest } = params;
      if (typeof fromPath !== "number" || fromPath < 1) {
        throw new TaskError(
          "States.Runtime",
          `${stateName}: TimeoutSecondsPath must point to a positive integer, got ${JSON.stringify(fromPath)}`,
        );
      }
      timeoutSeconds = fromPath;
      params = rest;
    }
    if (timeoutSeconds === undefined) return work();
    const timeout = new AbortController();
    const timer = this.#kernel.clock
      .sleep(timeoutSeconds * 1000, {
        label: `${execution.name}/${stateName} timeout`,
        signal: timeout.signal,
        // A human wait (core's contract): `runOut` leaves its timeout alone.
        humanWait: isHumanWait(stateName),
        hold: { begin: () => undefined, end: () => undefined },
      })
      .then(() => {
        throw new TaskError("States.Timeout", `${stateName} did not finish within ${timeoutSeconds} s`);
      });
    try {
      return await Promise.race([work(), timer]);
    } finally {
      timeout.abort();
      timer.catch(() => undefined);
    }
  }

  async #integration(resource: string, params: Json): Promise<Json> {
    const p = (params ?? {}) as Record<string, Json>;
    if (resource === "arn:aws:states:::lambda:invoke") {
      const out = await this.#invokeLambda(String(p.FunctionName), p.Payload ?? null);
      return { ExecutedVersion: out.version, Payload: out.result as Json, StatusCode: 200 };
    }
    if (/^arn:aws:lambda:[^:]+:\d{12}:function:/.test(resource)) {
      return (await this.#invokeLambda(resource, params)).result as Json;
    }
    const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):(\w+)$/.exec(resource);
    if (sdk) return this.#sdk(sdk[1] as string, pascal(sdk[2] as string), p);
    const optimised: Record<string, [string, string]> = {
      "arn:aws:states:::sns:publish": ["sns", "Publish"],
      "arn:aws:states:::sqs:sendMessage": ["sqs", "SendMessage"],
      "arn:aws:states:::events:putEvents": ["events", "PutEvents"],
      "arn:aws:states:::states:startExecution": ["states", "StartExecution"],
    };
    const target = optimised[resource];
    if (target) return this.#sdk(target[0], target[1], p);
    throw new TaskError("States.Runtime", `the simulated account cannot run Task resource ${resource}`);
  }

  async #invokeLambda(functionName: string, payload: Json): Promise<{ result: unknown; version: string }> {
    try {
      this.#kernel.recordCall("lambda", "InvokeFunction", {
        FunctionName: functionName,
        InvocationType: "RequestResponse",
      });
    } catch (error) {
      throw new TaskError(`Lambda.${(error as Error).name}`, (error as Error).message);
    }
    const out = await this.#kernel.invoke(functionName, payload, this.#kernel.caller());
    if (out.error) {
      throw new TaskError(
        out.error.errorType,
        JSON.stringify({ errorType: out.error.errorType, errorMessage: out.error.errorMessage }),
      );
    }
    return { result: out.result, version: out.version };
  }

  async #sdk(service: string, action: string, params: Record<string, Json>): Promise<Json> {
    const prefix = service === "sfn" ? "states" : service;
    try {
      const out = await this.#kernel.call(prefix, action, params);
      return JSON.parse(JSON.stringify(out)) as Json;
    } catch (error) {
      const e = error as Error;
      throw new TaskError(`${pascal(service === "sfn" ? "Sfn" : service)}.${e.name}`, e.message);
    }
  }

  #issueToken(execution: ExecutionRecord): string {
    const token = `${execution.name}:${randomUUID()}`;
    this.#tokens.set(token, { executionArn: execution.arn, state: "issued" });
    return token;
  }

  #findToken(execution: ExecutionRecord, params: Json): string | undefined {
    const found: string[] = [];
    const visit = (v: Json) => {
      if (typeof v === "string" && this.#tokens.get(v)?.executionArn === execution.arn) found.push(v);
      else if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === "object") Object.values(v).forEach(visit);
    };
    visit(params);
    return found[0];
  }

  #waitForToken(execution: ExecutionRecord, token: string, stateName: string): Promise<Json> {
    const record = this.#tokens.get(token) as TokenRecord;
    const settle = (outcome: TokenRecord["outcome"]): Json => {
      if (outcome && "output" in outcome) return outcome.output;
      throw new TaskError(outcome?.error || "States.TaskFailed", outcome?.cause ?? "");
    };
    if (record.outcome) {
      record.state = "closed";
      return Promise.resolve(settle(record.outcome));
    }
    record.state = "waiting";
    execution.hold.end();
    return new Promise<Json>((resolve, reject) => {
      record.settle = (outcome) => {
        execution.hold.begin();
        try {
          resolve(settle(outcome));
        } catch (error) {
          reject(error);
        }
      };
      execution.controller.signal.addEventListener(
        "abort",
        () => reject(new TaskError("States.Aborted", `${stateName} aborted`)),
        { once: true },
      );
    });
  }

  #token(token: unknown): TokenRecord {
    const record = this.#tokens.get(String(token ?? ""));
    if (!record) return fail("InvalidToken", "Invalid Token: the task token is not valid");
    if (record.state === "closed" || this.#executions.get(record.executionArn)?.status !== "RUNNING") {
      return fail("TaskTimedOut", "Task Timed Out: the task this token belongs to is no longer waiting");
    }
    return record;
  }

  #settleToken(token: unknown, outcome: NonNullable<TokenRecord["outcome"]>): unknown {
    const record = this.#token(token);
    record.outcome = outcome;
    if (record.state === "waiting" && record.settle) {
      record.state = "closed";
      record.settle(outcome);
    }
    return {};
  }

  #execution(arn: unknown): ExecutionRecord {
    const execution = this.#executions.get(String(arn ?? ""));
    if (!execution || execution.arn.split(":")[3] !== this.#kernel.clientRegion())
      return fail("ExecutionDoesNotExist", `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  }

  /** An execution as ListExecutions lists it (DescribeExecution adds its input, output and error). */
  #listed(e: ExecutionRecord) {
    return {
      executionArn: e.arn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: e.startDate,
      ...(e.stopDate ? { stopDate: e.stopDate } : {}),
    };
  }

  #describe(e: ExecutionRecord): unknown {
    return {
      ...this.#listed(e),
      input: e.input,
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
      redriveCount: e.redriveCount,
      ...(e.redriveDate ? { redriveDate: e.redriveDate } : {}),
      ...this.#redriveStatus(e),
    };
  }

  /**
   * DescribeExecution's redriveStatus: NOT_REDRIVABLE, with AWS's reason, exactly when
   * RedriveExecution would fail with ExecutionNotRedrivable.
   * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
   */
  #redriveStatus(e: ExecutionRecord): { redriveStatus: string; redriveStatusReason?: string } {
    const reason = this.#notRedrivable(e);
    return reason === undefined
      ? { redriveStatus: "REDRIVABLE" }
      : { redriveStatus: "NOT_REDRIVABLE", redriveStatusReason: reason };
  }

  #notRedrivable(e: ExecutionRecord): string | undefined {
    if (e.status === "RUNNING") return "Execution is RUNNING and cannot be redriven.";
    if (e.status === "SUCCEEDED") return "Execution is SUCCEEDED and cannot be redriven.";
    const now = this.#kernel.clock.now();
    if (e.stopDate && now - e.stopDate.getTime() > REDRIVABLE_PERIOD_MS)
      return "Execution redrivable period exceeded.";
    if (now - e.startDate.getTime() > MAX_OPEN_MS) return "Execution has exceeded the max execution time.";
    if (e.history.length >= MAX_HISTORY_EVENTS_TO_REDRIVE) return "Execution history event limit exceeded.";
    return undefined;
  }

  #stop(input: Record<string, unknown>): unknown {
    const execution = this.#execution(input.executionArn);
    if (execution.status === "RUNNING") {
      execution.controller.abort();
      execution.abort?.();
      this.#close(execution, "ABORTED", {
        ...(input.error !== undefined ? { error: String(input.error) } : {}),
        ...(input.cause !== undefined ? { cause: String(input.cause) } : {}),
      });
    }
    return { stopDate: execution.stopDate ?? this.#kernel.clock.date() };
  }

  #redrive(input: Record<string, unknown>): unknown {
    const execution = this.#execution(input.executionArn);
    const notRedrivable = this.#notRedrivable(execution);
    if (notRedrivable !== undefined)
      return fail("ExecutionNotRedrivable", `Execution ${execution.arn}: ${notRedrivable}`);
    const from = [...execution.entered].reverse().find((e) => !e.exited);
    if (!from)
      return fail("ExecutionNotRedrivable", `Execution ${execution.arn} has no failed state to redrive from`);
    const sm = this.#machines.get(execution.stateMachineArn) as StateMachineRecord;
    execution.status = "RUNNING";
    delete execution.stopDate;
    delete execution.error;
    delete execution.cause;
    execution.redriveCount++;
    execution.redriveDate = this.#kernel.clock.date();
    execution.hold = new ExecutionHold(this.#kernel.activity);
    execution.history.push({
      id: execution.history.length + 1,
      timestamp: this.#kernel.clock.iso(),
      type: "ExecutionRedriven",
      stateName: from.name,
    });
    this.#run(sm, execution, from.input, from.name);
    return { redriveDate: execution.redriveDate };
  }

  #close(
    execution: ExecutionRecord,
    status: Status,
    result: { output?: string; error?: string; cause?: string },
  ): void {
    execution.status = status;
    execution.stopDate = this.#kernel.clock.date();
    if (result.output !== undefined) execution.output = result.output;
    if (result.error !== undefined) execution.error = result.error;
    if (result.cause !== undefined) execution.cause = result.cause;
    for (const [token, record] of this.#tokens)
      if (record.executionArn === execution.arn && record.state !== "closed")
        this.#tokens.set(token, { ...record, state: "closed" });
    execution.hold.finish();
    this.#kernel.emit({
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status,
        startDate: execution.startDate.getTime(),
        stopDate: execution.stopDate.getTime(),
        input: execution.input,
        output: execution.output ?? null,
        error: execution.error ?? null,
        cause: execution.cause ?? null,
        redriveCount: execution.redriveCount,
      },
    });
  }
}

function interpreter(definition: StateMachineDefinition, machine: StateMachine): Interpreter {
  const states = collectStates(definition);
  return {
    machine,
    states,
    topLevel: new Set(Object.keys(definition.States)),
    waits: new Set(states.filter(([, s]) => s.Type === "Wait").map(([n]) => n)),
  };
}

/** Every state of a definition, nested ones (Parallel branches, Map processors) included. */
function collectStates(definition: { States: Record<string, unknown> }): [string, State][] {
  const out: [string, State][] = [];
  for (const [name, raw] of Object.entries(definition.States)) {
    const state = raw as State;
    out.push([name, state]);
    for (const branch of (state.Branches as { States: Record<string, unknown> }[] | undefined) ?? [])
      out.push(...collectStates(branch));
    const processor = (state.ItemProcessor ?? state.Iterator) as
      | { States: Record<string, unknown> }
      | undefined;
    if (processor) out.push(...collectStates(processor));
  }
  return out;
}

/**
 * The definition the interpreter runs locally: identical but for the two things time does —
 * Wait states become tasks answered by the virtual clock, and task timeouts are enforced on
 * the virtual clock rather than by the interpreter's real-time timer.
 */
function localDefinition(definition: StateMachineDefinition, startAt: string): StateMachineDefinition {
  const rewrite = (states: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(states).map(([name, raw]) => {
        const state = { ...(raw as State) };
        if (state.Type === "Wait") {
          const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _type, ...rest } = state;
          const parameters =
            SecondsPath !== undefined
              ? { "seconds.$": SecondsPath }
              : TimestampPath !== undefined
                ? { "timestamp.$": TimestampPath }
                : Timestamp !== undefined
                  ? { timestamp: Timestamp }
                  : { seconds: Seconds ?? 0 };
          return [
            name,
            {
              ...rest,
              Type: "Task",
              Resource: VIRTUAL_WAIT,
              Parameters: parameters,
              ResultPath: null,
              TimeoutSeconds: REAL_TIME_BOUND_SECONDS,
            },
          ];
        }
        if (state.Type === "Task") {
          // The interpreter would enforce it in real time: carry the value to the task instead.
          if (
            typeof state.TimeoutSecondsPath === "string" &&
            state.Parameters &&
            typeof state.Parameters === "object"
          ) {
            state.Parameters = {
              ...(state.Parameters as object),
              [`${TIMEOUT_PARAMETER}.$`]: state.TimeoutSecondsPath,
            };
          }
          delete state.TimeoutSecondsPath;
          delete state.HeartbeatSeconds;
          delete state.HeartbeatSecondsPath;
          state.TimeoutSeconds = REAL_TIME_BOUND_SECONDS;
        }
        if (Array.isArray(state.Branches)) {
          state.Branches = (state.Branches as { States: Record<string, unknown> }[]).map((b) => ({
            ...b,
            States: rewrite(b.States),
          }));
        }
        for (const key of ["ItemProcessor", "Iterator"] as const) {
          const processor = state[key] as { States: Record<string, unknown> } | undefined;
          if (processor) state[key] = { ...processor, States: rewrite(processor.States) };
        }
        return [name, state];
      }),
    );
  const { TimeoutSeconds: _timeout, ...rest } = definition;
  return {
    ...rest,
    StartAt: startAt,
    States: rewrite(definition.States) as StateMachineDefinition["States"],
  };
}

function waitMs(params: Json, now: number): number {
  const p = (params ?? {}) as { seconds?: number; timestamp?: string };
  if (typeof p.seconds === "number") return p.seconds * 1000;
  if (typeof p.timestamp === "string") return Math.max(0, Date.parse(p.timestamp) - now);
  throw new TaskError(
    "States.Runtime",
    "Wait state: Seconds/Timestamp did not resolve to a number or timestamp",
  );
}

function pascal(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
