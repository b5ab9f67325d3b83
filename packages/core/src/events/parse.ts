import type * as z from "zod";
import { type CostAnomaly, fromAnomalyDetected } from "../cost/anomaly.ts";
import { formatZodIssues } from "../util/zod-error.ts";
import { type BusEvent, BusEventEnvelope } from "./envelope.ts";
import { ZONAL_SHIFT_SOURCE, ZonalShiftDetail } from "./sources/arc.ts";
import {
  executionPhase,
  PLAN_EXECUTION,
  REGION_SWITCH_SOURCE,
  RegionSwitchPlanExecutionDetail,
} from "./sources/arc-region-switch.ts";
import { AlarmStateChangeDetail } from "./sources/cloudwatch.ts";
import { AnomalyDetectedDetail } from "./sources/cost.ts";
import { EcrImageActionDetail, EcrImageScanDetail } from "./sources/ecr.ts";
import {
  GITHUB_SOURCE,
  GithubDeploymentDetail,
  GithubEventDetail,
  GithubPingDetail,
  GithubReleaseDetail,
  GithubSecretScanningAlertDetail,
  GithubWorkflowRunDetail,
} from "./sources/github.ts";
import { HealthDetail } from "./sources/health.ts";
import { Inspector2EcrScanDetail, isScanOfAnotherResourceType } from "./sources/inspector2.ts";
import { ExecutionStatusChangeDetail } from "./sources/states.ts";

export type { ZonalShiftDetail } from "./sources/arc.ts";
export type { RegionSwitchPlanExecutionDetail } from "./sources/arc-region-switch.ts";
export type { AlarmStateChangeDetail } from "./sources/cloudwatch.ts";
export type { EcrImageActionDetail } from "./sources/ecr.ts";
export type { HealthDetail } from "./sources/health.ts";
export type { ExecutionStatusChangeDetail } from "./sources/states.ts";

export type KnownEvent =
  | { kind: "ecr.image-action"; event: BusEvent<EcrImageActionDetail> }
  | { kind: "image-scan"; event: BusEvent<unknown>; scan: ImageScanResult } // ECR basic scan AND Inspector2 scan, normalised
  | { kind: "cloudwatch.alarm-state-change"; event: BusEvent<AlarmStateChangeDetail> }
  | { kind: "states.execution-status-change"; event: BusEvent<ExecutionStatusChangeDetail> }
  | { kind: "health"; event: BusEvent<HealthDetail> }
  | { kind: "arc.zonal-shift"; event: BusEvent<ZonalShiftDetail> } // every detail-type of aws.arc-zonal-shift
  | {
      kind: "arc.region-switch-execution";
      event: BusEvent<RegionSwitchPlanExecutionDetail>;
      phase: "started" | "completed" | "failed" | "other";
    }
  | { kind: "cost.anomaly"; event: BusEvent<AnomalyDetectedDetail>; anomaly: CostAnomaly } // EventBridge and SNS deliveries, normalised
  | { kind: "github"; githubEvent: string; event: BusEvent<Record<string, unknown>> };

type Severity = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW" | "INFORMATIONAL" | "UNDEFINED";

export interface ImageScanResult {
  scanner: "ecr-basic" | "inspector2";
  status: string;
  /** The plain repository name, even when Inspector2 gives the repository ARN. */
  repository: string;
  registryId?: string;
  digest: string;
  tags: string[];
  severityCounts: Partial<Record<Severity, number>>;
}

export type ParseResult =
  | { ok: true; event: KnownEvent }
  | { ok: false; reason: string; id?: string; source?: string; detailType?: string; unsupported?: boolean };

/** EventBridge's entry size limit: nothing larger can have come off a real bus. */
export const MAX_EVENT_BYTES = 262_144;

/**
 * Validates an event from the bus and says what it is. Never throws, whatever `raw` is: a
 * rejection is a value carrying a reason that names the field and what was expected.
 * A string is not parsed as JSON: callers hand over the event object EventBridge delivered.
 */
export function parseEvent(raw: unknown): ParseResult {
  try {
    return parse(raw);
  } catch (error) {
    // `raw` comes from outside: a Proxy, a throwing getter or toJSON can fail anywhere above.
    // The contract is a rejection, never an exception that could skip the dead-letter path.
    return {
      ok: false,
      reason: `event could not be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function parse(raw: unknown): ParseResult {
  const kind = kindOf(raw);
  if (kind !== "object") return { ok: false, reason: `event must be a JSON object, got ${kind}` };

  const json = serialise(raw);
  if (typeof json !== "string") return { ok: false, reason: json.reason };
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes > MAX_EVENT_BYTES) {
    return {
      ok: false,
      reason: `event is ${bytes} bytes, over EventBridge's limit of ${MAX_EVENT_BYTES} bytes`,
      ...identify(raw),
    };
  }
  // Validate a JSON copy, not `raw` itself: what is checked is exactly what the reaction gets,
  // with no getters or shared references that could change after validation.
  const data: unknown = JSON.parse(json);
  const copyKind = kindOf(data);
  if (copyKind !== "object") return { ok: false, reason: `event must be a JSON object, got ${copyKind}` };

  const envelope = BusEventEnvelope.safeParse(data, { error: describeIssue });
  if (!envelope.success) {
    return { ok: false, reason: formatZodIssues(envelope.error).join("; "), ...identify(data) };
  }
  const event = envelope.data;
  const identity = { id: clip(event.id), source: clip(event.source), detailType: clip(event["detail-type"]) };

  const parser = parserFor(event.source, event["detail-type"]);
  if (parser === undefined) {
    return {
      ok: false,
      unsupported: true,
      reason: `no parser for source "${identity.source}" with detail-type "${identity.detailType}"`,
      ...identity,
    };
  }
  const notForUs = parser.unsupported?.(event.detail);
  if (notForUs !== undefined) return { ok: false, unsupported: true, reason: notForUs, ...identity };

  const parsed = parser.parse(event);
  if (!parsed.ok) {
    return { ok: false, reason: formatZodIssues(parsed.error, "detail").join("; "), ...identity };
  }
  return { ok: true, event: parsed.event };
}

interface Parser {
  /** Why this well-formed event is nothing Switchyard handles, when that is the case. */
  unsupported?: (detail: unknown) => string | undefined;
  parse: (event: BusEvent) => { ok: true; event: KnownEvent } | { ok: false; error: z.ZodError };
}

function detailParser<S extends z.ZodType>(
  schema: S,
  toKnown: (event: BusEvent<z.output<S>>) => KnownEvent,
  unsupported?: Parser["unsupported"],
): Parser {
  return {
    ...(unsupported ? { unsupported } : {}),
    parse(event) {
      const detail = schema.safeParse(event.detail, { error: describeIssue });
      if (!detail.success) return { ok: false, error: detail.error };
      return { ok: true, event: toKnown({ ...event, detail: detail.data }) };
    },
  };
}

function githubParser(schema: z.ZodType<Record<string, unknown>>): Parser {
  return detailParser(schema, (event) => ({ kind: "github", githubEvent: event["detail-type"], event }));
}

/** Matches every detail-type of its source that has no row of its own. */
const ANY_DETAIL_TYPE = null;

const PARSERS: readonly { source: string; detailType: string | typeof ANY_DETAIL_TYPE; parser: Parser }[] = [
  {
    source: "aws.ecr",
    detailType: "ECR Image Action",
    parser: detailParser(EcrImageActionDetail, (event) => ({ kind: "ecr.image-action", event })),
  },
  {
    source: "aws.ecr",
    detailType: "ECR Image Scan",
    parser: detailParser(EcrImageScanDetail, (event) => ({
      kind: "image-scan",
      event,
      scan: fromEcrScan(event),
    })),
  },
  {
    source: "aws.inspector2",
    detailType: "Inspector2 Scan",
    parser: detailParser(
      Inspector2EcrScanDetail,
      (event) => ({ kind: "image-scan", event, scan: fromInspector2Scan(event) }),
      (detail) =>
        isScanOfAnotherResourceType(detail)
          ? "Inspector2 Scan of a resource other than an ECR image (the detail has no repository-name or image-digest)"
          : undefined,
    ),
  },
  {
    source: "aws.cloudwatch",
    detailType: "CloudWatch Alarm State Change",
    parser: detailParser(AlarmStateChangeDetail, (event) => ({
      kind: "cloudwatch.alarm-state-change",
      event,
    })),
  },
  {
    source: "aws.states",
    detailType: "Step Functions Execution Status Change",
    parser: detailParser(ExecutionStatusChangeDetail, (event) => ({
      kind: "states.execution-status-change",
      event,
    })),
  },
  {
    source: "aws.health",
    detailType: "AWS Health Event",
    parser: detailParser(HealthDetail, (event) => ({ kind: "health", event })),
  },
  {
    source: "aws.ce",
    detailType: "Anomaly Detected",
    parser: detailParser(AnomalyDetectedDetail, (event) => ({
      kind: "cost.anomaly",
      event,
      anomaly: fromAnomalyDetected(event),
    })),
  },
  {
    source: ZONAL_SHIFT_SOURCE,
    detailType: ANY_DETAIL_TYPE,
    parser: detailParser(ZonalShiftDetail, (event) => ({ kind: "arc.zonal-shift", event })),
  },
  {
    source: REGION_SWITCH_SOURCE,
    detailType: PLAN_EXECUTION,
    parser: detailParser(RegionSwitchPlanExecutionDetail, (event) => ({
      kind: "arc.region-switch-execution",
      event,
      phase: executionPhase(event.detail.executionState),
    })),
  },
  { source: GITHUB_SOURCE, detailType: "deployment", parser: githubParser(GithubDeploymentDetail) },
  { source: GITHUB_SOURCE, detailType: "release", parser: githubParser(GithubReleaseDetail) },
  {
    source: GITHUB_SOURCE,
    detailType: "secret_scanning_alert",
    parser: githubParser(GithubSecretScanningAlertDetail),
  },
  { source: GITHUB_SOURCE, detailType: "workflow_run", parser: githubParser(GithubWorkflowRunDetail) },
  { source: GITHUB_SOURCE, detailType: "ping", parser: githubParser(GithubPingDetail) },
  { source: GITHUB_SOURCE, detailType: ANY_DETAIL_TYPE, parser: githubParser(GithubEventDetail) },
];

// A Map, not an object: a source named "constructor" or "__proto__" must find nothing.
const PARSER_INDEX = new Map(PARSERS.map((row) => [indexKey(row.source, row.detailType), row.parser]));

function indexKey(source: string, detailType: string | typeof ANY_DETAIL_TYPE): string {
  return JSON.stringify([source, detailType]);
}

function parserFor(source: string, detailType: string): Parser | undefined {
  return (
    PARSER_INDEX.get(indexKey(source, detailType)) ?? PARSER_INDEX.get(indexKey(source, ANY_DETAIL_TYPE))
  );
}

const REPOSITORY_ARN = /^arn:aws[a-z-]*:ecr:[a-z0-9-]*:(\d{12}):repository\/(.+)$/;

function repositoryFromArn(arn: string): { registryId: string; repository: string } | undefined {
  const match = REPOSITORY_ARN.exec(arn);
  return match?.[1] && match[2] ? { registryId: match[1], repository: match[2] } : undefined;
}

function fromEcrScan(event: BusEvent<EcrImageScanDetail>): ImageScanResult {
  const detail = event.detail;
  const repository = detail["repository-name"];
  const fromResources = (event.resources ?? [])
    .map(repositoryFromArn)
    .find((named) => named?.repository === repository);
  return {
    scanner: "ecr-basic",
    status: detail["scan-status"],
    repository,
    registryId: fromResources?.registryId ?? event.account,
    digest: detail["image-digest"],
    tags: detail["image-tags"],
    severityCounts: normaliseSeverityCounts(detail["finding-severity-counts"]),
  };
}

function fromInspector2Scan(event: BusEvent<Inspector2EcrScanDetail>): ImageScanResult {
  const detail = event.detail;
  const named = repositoryFromArn(detail["repository-name"]);
  return {
    scanner: "inspector2",
    status: detail["scan-status"],
    repository: named?.repository ?? detail["repository-name"],
    registryId: named?.registryId ?? event.account,
    digest: detail["image-digest"],
    tags: detail["image-tags"] ?? [],
    severityCounts: normaliseSeverityCounts(detail["finding-severity-counts"]),
  };
}

// Inspector's UNTRIAGED means what ECR calls UNDEFINED: a finding without a severity yet. A
// severity neither scanner documents is counted there too, so no finding silently disappears.
// TOTAL is Inspector's sum of the others and would count every finding twice.
const SEVERITY_NAMES = new Map<string, Severity | "TOTAL">([
  ["CRITICAL", "CRITICAL"],
  ["HIGH", "HIGH"],
  ["MEDIUM", "MEDIUM"],
  ["LOW", "LOW"],
  ["INFORMATIONAL", "INFORMATIONAL"],
  ["UNDEFINED", "UNDEFINED"],
  ["UNTRIAGED", "UNDEFINED"],
  ["TOTAL", "TOTAL"],
]);

function normaliseSeverityCounts(
  counts: Record<string, number> | undefined,
): Partial<Record<Severity, number>> {
  const out: Partial<Record<Severity, number>> = {};
  for (const [name, count] of Object.entries(counts ?? {})) {
    const severity = SEVERITY_NAMES.get(name) ?? "UNDEFINED";
    if (severity !== "TOTAL") out[severity] = (out[severity] ?? 0) + count;
  }
  return out;
}

type Kind =
  | "object"
  | "array"
  | "null"
  | "string"
  | "number"
  | "boolean"
  | "bigint"
  | "undefined"
  | "symbol"
  | "function";

function kindOf(value: unknown): Kind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function serialise(raw: unknown): string | { reason: string } {
  try {
    const json = JSON.stringify(raw);
    return typeof json === "string"
      ? json
      : { reason: "event is not JSON-serialisable: it serialises to nothing" };
  } catch (error) {
    // Only the first line: V8's circular-structure message goes on to draw the cycle.
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    return { reason: `event is not JSON-serialisable: ${message}` };
  }
}

/** Best effort: a rejected event still names itself when it can, so the rejection can be traced. */
function identify(value: unknown): { id?: string; source?: string; detailType?: string } {
  if (kindOf(value) !== "object") return {};
  const record = value as Record<string, unknown>;
  const text = (key: string) => {
    const field = Object.hasOwn(record, key) ? record[key] : undefined;
    return typeof field === "string" && field !== "" ? clip(field) : undefined;
  };
  const id = text("id");
  const source = text("source");
  const detailType = text("detail-type");
  return {
    ...(id !== undefined ? { id } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(detailType !== undefined ? { detailType } : {}),
  };
}

/** Zod's messages, reworded to say what was expected and what arrived. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      // "nonoptional" is how zod names a key that must be present whatever its type.
      const expected = issue.expected === "nonoptional" ? "a value" : issue.expected;
      return issue.input === undefined
        ? `required field is missing (expected ${expected})`
        : `expected ${expected}, received ${kindOf(issue.input)}`;
    }
    case "invalid_value": {
      const expected = `one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
      return issue.input === undefined
        ? `required field is missing (expected ${expected})`
        : `expected ${expected}, received ${preview(issue.input)}`;
    }
    case "too_small":
      return issue.origin === "string" && issue.minimum === 1 ? "must not be empty" : undefined;
    default:
      return undefined;
  }
}

/** Identifiers echoed into a rejection stay short enough to log, whatever the event carried. */
function clip(text: string): string {
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
}

/** Enough of a value to recognise it, never a whole (possibly huge or sensitive) field. */
function preview(value: unknown): string {
  const text =
    kindOf(value) === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? kindOf(value));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
