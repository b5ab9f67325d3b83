import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import * as z from "zod";
import { AccountId, name, RegionCode, text } from "./bounds.ts";

/**
 * The EventBridge envelope every event on the bus has, as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html): Powertools' EventBridge
 * schema (the same one its EventBridgeEnvelope parses with), with Switchyard's bounds on every field. Powertools
 * requires version, account, time, region and resources; they stay optional here because the events Switchyard
 * itself hands over (replays, the GitHub receiver's, the tests' hand-made ones) may leave them to the bus.
 * `detail` stays `unknown` here: each source's parser narrows it.
 */
export const BusEventEnvelope = EventBridgeSchema.extend({
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
  // Set on replayed events: replay names are 1–64 characters
  // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateReplay.html).
  "replay-name": text(64).optional(),
});

export type BusEvent<D = unknown> = Omit<z.infer<typeof BusEventEnvelope>, "detail"> & { detail: D };
