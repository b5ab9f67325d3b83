import { ErrorNames, SwitchyardError } from "../errors.ts";
import type { Step } from "./carried.ts";

/** After the writes: the secondary answers (Route 53 health check, service URL), or the run fails. */
export const verify: Step = async (_deps, input, payload) => {
  const checks: { check: string; ok: boolean; detail: string }[] = [];
  const observations = (
    payload.world as { HealthCheckObservations?: { StatusReport?: { Status?: string } }[] } | undefined
  )?.HealthCheckObservations;
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
