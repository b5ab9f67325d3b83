import * as z from "zod";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import type { Step } from "./carried.ts";

const HealthCheckStatus = z.looseObject({
  HealthCheckObservations: z
    .array(
      z.looseObject({ StatusReport: z.looseObject({ Status: z.string().max(1024).optional() }).optional() }),
    )
    .max(1000)
    .optional(),
});

/** After the writes: the secondary answers (Route 53 health check, service URL), or the run fails. */
export const verify: Step = async (_deps, input, payload) => {
  const checks: { check: string; ok: boolean; detail: string }[] = [];
  // Route 53's GetHealthCheckStatus answer, carried from the state machine's SDK task: checked
  // before it is read, so a mangled one fails by name instead of throwing.
  const read = HealthCheckStatus.safeParse(payload.world ?? {});
  if (!read.success)
    throw new SwitchyardError(
      ErrorNames.InvalidInput,
      `world.HealthCheckObservations is not Route 53's GetHealthCheckStatus answer: ${read.error.issues[0]?.message}`,
    );
  const observations = read.data.HealthCheckObservations;
  if (observations) {
    const healthy = observations.filter((o) => o.StatusReport?.Status?.startsWith("Success")).length;
    // Route 53 deems an endpoint healthy when more than 18% of its checkers do.
    checks.push({
      check: `health check ${input.verify.healthCheckId}`,
      ok: healthy / Math.max(1, observations.length) > 0.18,
      detail: `${healthy} of ${observations.length} checkers report success`,
    });
  }
  if (input.verify.url) checks.push(await probe(input.verify.url));
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0 && !input.dryRun)
    throw new SwitchyardError(
      ErrorNames.VerificationFailed,
      failed.map((c) => `${c.check}: ${c.detail}`).join("; "),
    );
  return { ok: failed.length === 0, checks };
};

async function probe(url: string): Promise<{ check: string; ok: boolean; detail: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "manual" });
    return {
      check: `GET ${url}`,
      ok: response.status >= 200 && response.status < 400,
      detail: `HTTP ${response.status}`,
    };
  } catch (error) {
    return { check: `GET ${url}`, ok: false, detail: (error as Error).message };
  }
}
