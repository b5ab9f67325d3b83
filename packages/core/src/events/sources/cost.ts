import * as z from "zod";
import { name, StorableNumber } from "../bounds.ts";

/**
 * Cost Anomaly Detection's anomaly, in the two shapes AWS delivers it:
 * - EventBridge "Anomaly Detected" (source `aws.ce`), documented in
 *   https://docs.aws.amazon.com/cost-management/latest/userguide/cad-eventbridge.html;
 * - the JSON message an IMMEDIATE alert subscription publishes to SNS, which names the
 *   dimension `dimensionalValue` and adds `subscriptionId`/`subscriptionName`.
 * AWS may omit or null `feedback`, `rootCauses`, `anomalyEndDate` and
 * `impact.totalImpactPercentage` (omitted when the expected spend is zero).
 */
const dollars = (what: string) =>
  StorableNumber.pipe(
    z.number().min(0, `${what} must not be negative: an anomaly is spend above the expected`),
  );

const Impact = z.looseObject({
  maxImpact: dollars("maxImpact"),
  totalImpact: dollars("totalImpact").nullish(),
  totalImpactPercentage: StorableNumber.pipe(
    z.number().min(0, "totalImpactPercentage must not be negative"),
  ).nullish(),
  totalActualSpend: dollars("totalActualSpend").nullish(),
  totalExpectedSpend: dollars("totalExpectedSpend").nullish(),
});

const RootCause = z.looseObject({
  service: z.string().nullish(),
  region: z.string().nullish(),
  linkedAccount: z.string().nullish(),
  linkedAccountName: z.string().nullish(),
  usageType: z.string().nullish(),
  impact: z.looseObject({ contribution: StorableNumber.nullish() }).nullish(),
});

const common = {
  // Cost Explorer's AnomalyId is at most 1,024 characters
  // (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_Anomaly.html).
  anomalyId: name(1024),
  accountId: z.string().nullish(),
  accountName: z.string().nullish(),
  anomalyStartDate: z.string().nullish(),
  anomalyEndDate: z.string().nullish(),
  anomalyScore: z
    .looseObject({ currentScore: StorableNumber.nullish(), maxScore: StorableNumber.nullish() })
    .nullish(),
  impact: Impact,
  rootCauses: z.array(RootCause).nullish(),
  monitorArn: z.string().nullish(),
  monitorName: z.string().nullish(),
  monitorType: z.string().nullish(),
  feedback: z.string().nullish(),
  anomalyDetailsLink: z.string().nullish(),
};

export const AnomalyDetectedDetail = z.looseObject({ ...common, dimensionValue: z.string().nullish() });
export type AnomalyDetectedDetail = z.infer<typeof AnomalyDetectedDetail>;

export const SnsAnomalyMessage = z.looseObject({
  ...common,
  dimensionalValue: z.string().nullish(),
  subscriptionId: z.string().nullish(),
  subscriptionName: z.string().nullish(),
});
export type SnsAnomalyMessage = z.infer<typeof SnsAnomalyMessage>;
