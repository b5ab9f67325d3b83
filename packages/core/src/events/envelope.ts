import * as z from "zod";
import { AccountId, name, RegionCode, text } from "./bounds.ts";

/**
 * The EventBridge envelope every event on the bus has, as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html): the fields of Powertools'
 * EventBridge schema (`@aws-lambda-powertools/parser/schemas/eventbridge`, the one its EventBridgeEnvelope parses
 * with), each with Switchyard's bounds. Powertools requires version, account, time, region and resources; they
 * stay optional here because the events Switchyard itself hands over (replays, the GitHub receiver's, the tests'
 * hand-made ones) may leave them to the bus. `detail` stays `unknown` here: each source's parser narrows it.
 * Written out rather than extended from Powertools' schema: that module imports zod as `{ z }`, which keeps all of
 * zod (its locales, JSON Schema conversion: about 390 KB) in every function's bundle, where `* as z` lets the
 * bundler keep only what is used (ADR 0025).
 */
export const BusEventEnvelope = z.object({
  version: text(16).optional(),
  // EventBridge's ids are UUIDs; 256 leaves room for any producer's id while keeping it a usable key.
  id: name(256).min(1, "id must be a non-empty string"),
  // PutEventsRequestEntry: DetailType 1–128 characters, Source 1–256, Resources at most 100 of at most 2,048
  // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
  source: name(256).min(1, "source must be a non-empty string"),
  account: AccountId.optional(),
  time: text(64).optional(),
  region: RegionCode.optional(),
  resources: z.array(text(2048)).max(100).optional(),
  "detail-type": name(128).min(1, "detail-type must be a non-empty string"),
  detail: z.unknown(),
  // Set on replayed events: replay names are 1–64 characters
  // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateReplay.html).
  "replay-name": text(64).optional(),
});

export type BusEvent<D = unknown> = Omit<z.infer<typeof BusEventEnvelope>, "detail"> & { detail: D };
