import * as z from "zod";
import { AccountId, name, RegionCode, text } from "./bounds.ts";

/**
 * The EventBridge envelope every event on the bus has, as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
 * `detail` stays `unknown` here: each source's parser narrows it.
 */
export const BusEventEnvelope = z.object({
  version: text(16).optional(),
  // EventBridge's ids are UUIDs; 256 leaves room for any producer's id while keeping it a usable key.
  id: name(256).min(1, "id must be a non-empty string"),
  // PutEventsRequestEntry: DetailType 1–128 characters, Source 1–256, Resources at most 100 of at most 2,048
  // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
  "detail-type": name(128).min(1, "detail-type must be a non-empty string"),
  source: name(256).min(1, "source must be a non-empty string"),
  account: AccountId.optional(),
  time: text(64).optional(),
  region: RegionCode.optional(),
  resources: z.array(text(2048)).max(100).optional(),
  detail: z.unknown(),
});

export type BusEvent<D = unknown> = Omit<z.infer<typeof BusEventEnvelope>, "detail"> & { detail: D };
