import * as z from "zod";

/**
 * "AWS Health Event", as documented in
 * https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html.
 * Times are RFC 1123 strings ("Thu, 26 Jan 2023 13:19:03 GMT") and are kept as AWS sends them.
 */
export const HealthDetail = z.looseObject({
  eventArn: z.string().startsWith("arn:", "expected an AWS Health event ARN (arn:aws:health:...)"),
  service: z.string().min(1),
  eventTypeCode: z.string().min(1),
  eventTypeCategory: z.enum(["issue", "accountNotification", "scheduledChange", "investigation"]),
  startTime: z.string().min(1),
  endTime: z.string().optional(),
  lastUpdatedTime: z.string().optional(),
  statusCode: z.enum(["open", "closed", "upcoming"]).optional(),
  eventScopeCode: z.string().optional(),
  eventRegion: z.string().optional(),
  communicationId: z.string().optional(),
  affectedAccount: z.string().optional(),
  eventDescription: z
    .array(z.looseObject({ language: z.string(), latestDescription: z.string() }))
    .optional(),
  // Public events name no resources.
  affectedEntities: z
    .array(
      z.looseObject({
        entityValue: z.string().min(1),
        status: z.string().optional(),
        lastUpdatedTime: z.string().optional(),
      }),
    )
    .optional(),
  eventMetadata: z.record(z.string(), z.unknown()).optional(),
});
export type HealthDetail = z.infer<typeof HealthDetail>;
