/**
 * The words a deployment's config and its workflow input share. They live apart from both
 * schemas so the functions that read a deploy input never import the config's schema: esbuild
 * keeps every top-level call of a module it bundles, so importing `deployments/config.ts` for a
 * constant would build the whole config schema when the function is imported (ADR 0035).
 */

/** ECR finding severities, most severe first: a scan gate blocks on findings at or above its threshold. */
export const SCAN_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"] as const;

/** What a guarding alarm in ALARM does while its actions are suppressed (a muted composite alarm). */
export const SUPPRESSED_ALARM_POLICIES = ["rollback", "ignore"] as const;

/** The two answers to an approval gate's timeout: roll back, or go on as if approved. */
export const ON_TIMEOUT = ["rollback", "promote"] as const;

/** Pause between two attempts of an HTTP probe. */
export const PROBE_RETRY_MS = 1000;
/** An HTTP probe runs inside one deploy-steps invocation (60 s): its attempts must fit in this. */
export const PROBE_BUDGET_SECONDS = 45;

/** The seconds an HTTP probe may take, every attempt and the pauses between them. */
export const probeSeconds = (probe: { timeout: number; retries: number }) =>
  (probe.retries + 1) * probe.timeout + (probe.retries * PROBE_RETRY_MS) / 1000;
