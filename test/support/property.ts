import fc from "fast-check";
import type { ControlPlane } from "../../packages/cli/src/local/control-plane.ts";

/**
 * How many random schedules a property test runs: `SWITCHYARD_PROPERTY_RUNS`, else `fallback`
 * (1,000 for each reaction's property in `npm test`, issue #11's bar; ADR 0021).
 */
export function propertyRuns(fallback: number): number {
  const raw = Number(process.env.SWITCHYARD_PROPERTY_RUNS);
  return Number.isInteger(raw) && raw > 0 ? raw : fallback;
}

/**
 * A property test's time limit: a thousand schedules take a minute or two alone on this project's
 * machines, several times that beside other work on two cores; a hung schedule still ends it.
 */
export const PROPERTY_TIMEOUT = 30 * 60_000;

/**
 * Runs `property` for the configured number of runs; on failure the seed, the path and the
 * shrunk counterexample are printed, so the run can be replayed (`fc.assert(..., { seed, path })`)
 * and the counterexample kept as an example test.
 */
export async function checkProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>,
  runs: number,
): Promise<void> {
  // A fixed seed by default, so `npm test` is repeatable; SWITCHYARD_PROPERTY_SEED=random explores new schedules.
  const chosen = process.env.SWITCHYARD_PROPERTY_SEED;
  const seed = chosen === "random" ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(chosen) || 20261130;
  const out = await fc.check(fc.asyncProperty(arbitrary, property), {
    numRuns: runs,
    seed,
    endOnFailure: false,
  });
  if (out.failed) {
    const message = `${name}: failed after ${out.numRuns} runs; replay with SWITCHYARD_PROPERTY_SEED=${out.seed} (path ${out.counterexamplePath}); counterexample: ${JSON.stringify(out.counterexample)}; ${String(out.errorInstance)}`;
    process.stderr.write(`${message}\n`);
    throw new Error(message);
  }
}

/** Each service's throttling exception, by the name it sends; a permanent refusal for any. */
export const TRANSIENT: Record<string, string> = {
  dynamodb: "ProvisionedThroughputExceededException",
  ec2: "RequestLimitExceeded",
  lambda: "TooManyRequestsException",
  rds: "Throttling",
  cloudwatch: "Throttling",
  sns: "ThrottledException",
  secretsmanager: "InternalServiceError",
  default: "ThrottlingException",
};
export const PERMANENT = "AccessDeniedException";

/**
 * Makes the `k`-th call (1-based) among the calls to `pairs` fail once with `error` (by service),
 * whatever its service and action: one single fault at any call.
 */
export function faultAtCall(
  plane: ControlPlane,
  pairs: readonly { service: string; action: string }[],
  k: number,
  kind: "transient" | "permanent",
): { fired: () => boolean } {
  let seen = 0;
  let fired = false;
  for (const { service, action } of pairs)
    plane.account.injectFault({
      service,
      action,
      error: kind === "permanent" ? PERMANENT : (TRANSIENT[service] ?? TRANSIENT.default ?? ""),
      when: () => {
        if (fired) return false;
        seen++;
        if (seen !== k) return false;
        fired = true;
        return true;
      },
    });
  return { fired: () => fired };
}

/** The distinct service/action pairs among calls recorded since `from`. */
export function callPairs(plane: ControlPlane, from = 0) {
  const pairs = new Map<string, { service: string; action: string }>();
  for (const c of plane.account.calls.slice(from))
    pairs.set(`${c.service}:${c.action}`, { service: c.service, action: c.action });
  return [...pairs.values()];
}
