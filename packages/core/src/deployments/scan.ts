import { SendTaskSuccessCommand } from "@aws-sdk/client-sfn";
import type { CoreDeps, ReactionResult } from "../context.ts";
import type { BusEvent } from "../events/envelope.ts";
import type { ImageScanResult } from "../events/parse.ts";
import { logger } from "../observability/logger.ts";
import {
  getScanResult,
  listScanWaiters,
  putScanResult,
  recordAudit,
  type ScanSubject,
  type StoredScan,
} from "../store/state.ts";
import { judgeScan, type Severity, severityRank } from "./scan-gate.ts";

/** How far ahead of our clock a scanner's time may be: a scan "from the future" would outrank every real one. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** ECR's limits: repository names up to 256 characters; a digest is `algorithm:hex`, far below this. */
const MAX_REPOSITORY = 256;
const MAX_DIGEST = 256;

const rejected = (reason: string): ReactionResult => ({
  reaction: "scan-result",
  outcome: "rejected",
  reason,
  executions: [],
});

/**
 * A scan finished (ECR basic scanning or Amazon Inspector): keep it if it is the newest result of
 * that image by the scanner's own time (the scan event's `time`; neither scanner puts another time
 * in the event), and answer every deployment waiting for the image with the gate's decision on the
 * newest result. An older result delivered late changes nothing: a CRITICAL result keeps the digest
 * blocked until a newer scan clears it. A deployment that starts waiting after this finds the
 * stored result itself.
 */
export async function onImageScan(
  deps: CoreDeps,
  scan: ImageScanResult,
  event: BusEvent,
): Promise<ReactionResult> {
  const scannedAt = event.time === undefined ? Number.NaN : Date.parse(event.time);
  if (!Number.isFinite(scannedAt)) {
    return rejected(
      `scan event ${event.id} has no valid time (${JSON.stringify(event.time ?? null)}): scans are ordered by the scanner's time, so one without it cannot be placed`,
    );
  }
  if (scannedAt > deps.now().getTime() + CLOCK_SKEW_MS) {
    return rejected(
      `scan event ${event.id} is dated ${event.time}, in the future: it would outrank every real scan of the image`,
    );
  }
  const account = scan.registryId ?? event.account;
  const region = event.region;
  if (!account || !region) {
    return rejected(
      `scan event ${event.id} names no registry account or region: the image it scanned is unknown`,
    );
  }
  if (scan.repository.length > MAX_REPOSITORY || scan.digest.length > MAX_DIGEST) {
    return rejected(
      `scan event ${event.id} names a repository or digest longer than ECR allows (${MAX_REPOSITORY} characters)`,
    );
  }
  const subject: ScanSubject = { account, region, repository: scan.repository, digest: scan.digest };
  const severityCounts = Object.fromEntries(
    Object.entries(scan.severityCounts).filter(([, v]) => typeof v === "number"),
  ) as Record<string, number>;
  const incoming: StoredScan = {
    scanner: scan.scanner,
    status: scan.status,
    severityCounts,
    scannedAt: new Date(scannedAt).toISOString(),
    severityRank: severityRank({ status: scan.status, severityCounts }),
    receivedAt: deps.now().toISOString(),
    eventId: event.id,
  };
  const newest = await putScanResult(deps.store, subject, incoming);
  // The gate always reads the newest result: this one, or the newer one that was kept.
  const current = newest ? incoming : ((await getScanResult(deps.store, subject)) ?? incoming);
  const image = `${account}/${region}/${scan.repository}@${scan.digest}`;
  const waiters = await listScanWaiters(deps.store, subject);
  const answered: string[] = [];
  for (const waiter of waiters) {
    const decision = judgeScan(current, waiter.threshold as Severity);
    try {
      await deps.clients.sfn.send(
        new SendTaskSuccessCommand({ taskToken: waiter.taskToken, output: JSON.stringify(decision) }),
      );
      answered.push(waiter.executionArn);
    } catch (error) {
      // A closed token means that deployment already has its answer (or ended): nothing to do.
      if ((error as Error).name !== "TaskTimedOut" && (error as Error).name !== "InvalidToken") throw error;
      logger.info("scan waiter already answered", { executionArn: waiter.executionArn });
    }
  }
  const kept = newest
    ? `${scan.status}, scanned ${incoming.scannedAt}`
    : `scanned ${incoming.scannedAt}, not newer than the stored result of ${current.scannedAt} (${current.scanner}), which stands`;
  const reason = `${scan.scanner} scan of ${image}: ${kept}; answered ${answered.length} waiting deployment(s)`;
  await recordAudit(deps.store, {
    reaction: "scan-result",
    decision: newest ? "recorded" : "superseded",
    reason,
    eventId: event.id,
    correlationId: event.id,
    subject: image,
    details: { severityCounts, scannedAt: incoming.scannedAt, newestScannedAt: current.scannedAt },
  });
  return {
    reaction: "scan-result",
    outcome: answered.length > 0 ? "answered" : newest ? "recorded" : "superseded",
    reason,
    executions: answered,
  };
}
