import * as z from "zod";
import type { BusEvent } from "../events/envelope.ts";
import { type AnomalyDetectedDetail, SnsAnomalyMessage } from "../events/sources/cost.ts";
import { formatZodIssues } from "../util/zod-error.ts";

export interface RootCause {
  readonly service?: string;
  readonly region?: string;
  readonly linkedAccount?: string;
  readonly linkedAccountName?: string;
  readonly usageType?: string;
}

/** One anomaly, whichever way AWS delivered it. Omitted and null fields are simply absent. */
export interface CostAnomaly {
  readonly anomalyId: string;
  readonly via: "eventbridge" | "sns";
  /** Id of the delivery (EventBridge event id or SNS MessageId): the correlation id. */
  readonly deliveryId: string;
  readonly accountId?: string;
  readonly monitorArn?: string;
  readonly monitorName?: string;
  readonly dimensionValue?: string;
  readonly startDate?: string;
  readonly endDate?: string;
  readonly score?: number;
  readonly impact: {
    readonly maxImpact: number;
    /** AWS may omit it; then the largest daily impact is the best figure there is. */
    readonly totalImpact: number;
    /** Omitted by AWS when the expected spend was zero (new spend). */
    readonly totalImpactPercentage?: number;
    readonly totalActualSpend?: number;
    readonly totalExpectedSpend?: number;
  };
  readonly rootCauses: readonly RootCause[];
  readonly feedback?: string;
  readonly detailsLink?: string;
  readonly subscription?: string;
}

/** Both shapes, with the SNS message's `dimensionalValue` moved to `dimensionValue`. */
type Body = AnomalyDetectedDetail;

const present = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;
const some = <K extends string, V>(key: K, value: V | null | undefined) =>
  (present(value) ? { [key]: value } : {}) as Partial<Record<K, V>>;

function normalise(
  body: Body,
  via: CostAnomaly["via"],
  deliveryId: string,
  subscription?: string | null,
): CostAnomaly {
  const i = body.impact;
  return {
    anomalyId: body.anomalyId,
    via,
    deliveryId,
    ...some("accountId", body.accountId),
    ...some("monitorArn", body.monitorArn),
    ...some("monitorName", body.monitorName),
    ...some("dimensionValue", body.dimensionValue),
    ...some("startDate", body.anomalyStartDate),
    ...some("endDate", body.anomalyEndDate),
    ...some("score", body.anomalyScore?.maxScore ?? body.anomalyScore?.currentScore),
    impact: {
      maxImpact: i.maxImpact,
      totalImpact: i.totalImpact ?? i.maxImpact,
      ...some("totalImpactPercentage", i.totalImpactPercentage),
      ...some("totalActualSpend", i.totalActualSpend),
      ...some("totalExpectedSpend", i.totalExpectedSpend),
    },
    rootCauses: (body.rootCauses ?? []).map((c) => ({
      ...some("service", c.service),
      ...some("region", c.region),
      ...some("linkedAccount", c.linkedAccount),
      ...some("linkedAccountName", c.linkedAccountName),
      ...some("usageType", c.usageType),
    })),
    ...some("feedback", body.feedback),
    ...some("detailsLink", body.anomalyDetailsLink),
    ...some("subscription", subscription),
  };
}

/** The anomaly an EventBridge "Anomaly Detected" event carries (its detail already validated). */
export function fromAnomalyDetected(event: BusEvent<AnomalyDetectedDetail>): CostAnomaly {
  return normalise(event.detail, "eventbridge", event.id);
}

/** The Lambda event SNS delivers to a subscribed function (only the fields Switchyard reads). */
const SnsLambdaEvent = z.object({
  Records: z
    .array(
      z.looseObject({
        EventSource: z.literal("aws:sns", 'expected "aws:sns": only SNS deliveries are read here'),
        Sns: z.looseObject({
          MessageId: z.string().min(1),
          TopicArn: z.string().optional(),
          Message: z.string(),
        }),
      }),
    )
    .min(1, "an SNS delivery has at least one record"),
});

export type SnsIntake =
  | { ok: true; anomaly: CostAnomaly; messageId: string }
  | { ok: false; reason: string; messageId?: string };

/** True when `raw` has the shape of SNS's Lambda event: `{ Records: [{ EventSource: "aws:sns", ... }] }`. */
export function isSnsLambdaEvent(raw: unknown): boolean {
  const records = (raw as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) && (records[0] as { EventSource?: unknown } | undefined)?.EventSource === "aws:sns"
  );
}

/**
 * Reads every record of an SNS Lambda event as an anomaly alert. Never throws: each record is
 * an anomaly or a rejection whose reason names the field (`Records[0].Sns.Message.impact: ...`).
 */
export function fromSnsLambdaEvent(raw: unknown): SnsIntake[] {
  const envelope = SnsLambdaEvent.safeParse(raw);
  if (!envelope.success) return [{ ok: false, reason: formatZodIssues(envelope.error).join("; ") }];
  return envelope.data.Records.map((record, index): SnsIntake => {
    const where = `Records[${index}].Sns.Message`;
    const messageId = record.Sns.MessageId;
    let message: unknown;
    try {
      message = JSON.parse(record.Sns.Message);
    } catch (error) {
      return { ok: false, messageId, reason: `${where}: not JSON (${(error as Error).message})` };
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      return { ok: false, messageId, reason: `${where}: expected a Cost Anomaly Detection alert object` };
    }
    const parsed = SnsAnomalyMessage.safeParse(message);
    if (!parsed.success) {
      return { ok: false, messageId, reason: formatZodIssues(parsed.error, where).join("; ") };
    }
    const { dimensionalValue, subscriptionId, subscriptionName, ...rest } = parsed.data;
    return {
      ok: true,
      messageId,
      anomaly: normalise(
        { ...rest, dimensionValue: dimensionalValue ?? null },
        "sns",
        messageId,
        subscriptionName ?? subscriptionId,
      ),
    };
  });
}
