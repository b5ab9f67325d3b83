import * as z from "zod";

/**
 * The EventBridge envelope every event on the bus has, as AWS documents it
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
 * `detail` stays `unknown` here: each source's parser narrows it.
 */
export const BusEventEnvelope = z.object({
  version: z.string().optional(),
  id: z.string().min(1, "id must be a non-empty string"),
  "detail-type": z.string().min(1, "detail-type must be a non-empty string"),
  source: z.string().min(1, "source must be a non-empty string"),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});

export type BusEvent<D = unknown> = Omit<z.infer<typeof BusEventEnvelope>, "detail"> & { detail: D };
