import type { ScanSubject } from "../store/state.ts";
import { SCAN_SEVERITIES } from "./vocabulary.ts";

export type Severity = (typeof SCAN_SEVERITIES)[number];

/** ECR basic scanning says COMPLETE; Amazon Inspector says INITIAL_SCAN_COMPLETE (and SCAN_COMPLETE on rescans). */
const COMPLETE = new Set(["COMPLETE", "INITIAL_SCAN_COMPLETE", "SCAN_COMPLETE"]);

export interface ScanDecision {
  decision: "passed" | "blocked";
  reason: string;
  severityCounts: Record<string, number>;
  scanner: string;
}

/**
 * Judges a scan against a gate: findings at or above `threshold` block. A scan that did not
 * complete blocks too: a gate that cannot see the findings must not pass the image.
 */
export function judgeScan(
  scan: { status: string; scanner: string; severityCounts: Record<string, number> },
  threshold: Severity,
): ScanDecision {
  const base = { severityCounts: scan.severityCounts, scanner: scan.scanner };
  if (!COMPLETE.has(scan.status)) {
    return {
      ...base,
      decision: "blocked",
      reason: `scan status is ${scan.status}, not COMPLETE: the gate cannot see the findings`,
    };
  }
  const blocking = SCAN_SEVERITIES.slice(0, SCAN_SEVERITIES.indexOf(threshold) + 1)
    .map((severity) => [severity, scan.severityCounts[severity] ?? 0] as const)
    .filter(([, count]) => count > 0);
  if (blocking.length === 0) {
    return { ...base, decision: "passed", reason: `no findings at or above ${threshold}` };
  }
  const found = blocking.map(([severity, count]) => `${count} ${severity}`).join(", ");
  return {
    ...base,
    decision: "blocked",
    reason: `${found} finding(s) at or above the gate's threshold ${threshold}`,
  };
}

/**
 * How bad a scan is, higher is worse: an incomplete scan (the gate cannot see) is worst, then the
 * most severe finding (CRITICAL 5 … INFORMATIONAL 1), then no finding (0). Orders two results
 * that carry the same scan time.
 */
export function severityRank(scan: { status: string; severityCounts: Record<string, number> }): number {
  if (!COMPLETE.has(scan.status)) return SCAN_SEVERITIES.length + 1;
  const worst = SCAN_SEVERITIES.findIndex((severity) => (scan.severityCounts[severity] ?? 0) > 0);
  return worst === -1 ? 0 : SCAN_SEVERITIES.length - worst;
}

const IMAGE_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/(.+)@(.+)$/;

/**
 * The scan an image URI (`account.dkr.ecr.region.amazonaws.com/repository@digest`) waits for:
 * the registry the URI names, which the trigger took from the config, never from an event.
 */
export function scanSubjectOf(imageUri: string): ScanSubject | undefined {
  const match = IMAGE_URI.exec(imageUri);
  if (!match?.[1] || !match[2] || !match[3] || !match[4]) return undefined;
  return { account: match[1], region: match[2], repository: match[3], digest: match[4] };
}
