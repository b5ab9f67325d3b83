import * as z from "zod";
import { name, text } from "../bounds.ts";

/**
 * Events of source `aws.arc-zonal-shift` (zonal autoshift, practice runs, FIS experiments,
 * manual zonal shifts), as documented in
 * https://docs.aws.amazon.com/r53recovery/latest/dg/eventbridge-zonal-autoshift.html.
 * The affected resources are the envelope's `resources`; the detail names the Availability Zone
 * (an AZ ID such as `use1-az2`, not a name such as `us-east-1b`).
 */
export const ZonalShiftDetail = z.looseObject({
  version: z.string().optional(),
  // "" on autoshifts; an object with `additionalFailureInfo` on an interrupted practice run.
  data: z.union([text(4096), z.looseObject({ additionalFailureInfo: text(4096).optional() })]).optional(),
  metadata: z.looseObject({
    // An AZ ID: at most 20 characters (https://docs.aws.amazon.com/arc-zonal-shift/latest/api/API_ZonalShift.html).
    awayFrom: name(20).min(1, "name the Availability Zone ID traffic moves away from, e.g. use1-az2"),
    notes: text(4096).optional(),
  }),
});
export type ZonalShiftDetail = z.infer<typeof ZonalShiftDetail>;

export const ZONAL_SHIFT_SOURCE = "aws.arc-zonal-shift";
