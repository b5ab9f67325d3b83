import * as z from "zod";
import { AccountId, name, RegionCode, text } from "../bounds.ts";

/**
 * "AWS Health Event", as documented in
 * https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html.
 * Times are RFC 1123 strings ("Thu, 26 Jan 2023 13:19:03 GMT") and are kept as AWS sends them.
 */
export const HealthDetail = z.looseObject({
  // Bounds from https://docs.aws.amazon.com/health/latest/APIReference/API_Event.html (arn ≤ 1600, service 2–30,
  // eventTypeCode 3–100, region 2–25) and API_AffectedEntity.html (entityValue ≤ 1224).
  eventArn: text(1600).startsWith("arn:", "expected an AWS Health event ARN (arn:aws:health:...)"),
  service: name(30),
  eventTypeCode: name(100),
  eventTypeCategory: z.enum(["issue", "accountNotification", "scheduledChange", "investigation"]),
  startTime: name(64),
  endTime: text(64).optional(),
  lastUpdatedTime: text(64).optional(),
  statusCode: z.enum(["open", "closed", "upcoming"]).optional(),
  eventScopeCode: text(64).optional(),
  // A Region code, or "global" for global services; never empty (an empty region once crashed a handler).
  eventRegion: z.union([RegionCode, z.literal("global")]).optional(),
  communicationId: text(256).optional(),
  affectedAccount: AccountId.optional(),
  eventDescription: z
    .array(z.looseObject({ language: z.string(), latestDescription: z.string() }))
    .optional(),
  // Public events name no resources.
  affectedEntities: z
    .array(
      z.looseObject({
        entityValue: name(1224),
        status: text(64).optional(),
        lastUpdatedTime: text(64).optional(),
      }),
    )
    .optional(),
  eventMetadata: z.record(z.string(), z.unknown()).optional(),
});
export type HealthDetail = z.infer<typeof HealthDetail>;
