import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { CoreDeps, ReactionResult, TriggerDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { KnownEvent } from "../events/parse.ts";
import { notify } from "../notify/notify.ts";
import { recordAudit } from "../store/state.ts";
import { expiresAfterDays, stateTable } from "../store/table.ts";

type ZonalShiftEvent = Extract<KnownEvent, { kind: "arc.zonal-shift" }>;

/**
 * What each documented detail-type means, in the words the audit log and the notification use;
 * the audit decision is the detail-type in kebab case ("FIS Experiment" shortened to "fis").
 */
const MEANINGS: ReadonlyMap<string, { decision: string; says: string }> = new Map(
  (
    [
      ["Autoshift In Progress", "AWS shifted traffic away from"],
      ["Autoshift Completed", "AWS ended its autoshift away from"],
      ["Practice Run Started", "A practice run shifts traffic away from"],
      ["Practice Run Succeeded", "A practice run succeeded away from"],
      ["Practice Run Interrupted", "A practice run was interrupted away from"],
      ["Practice Run Failed", "A practice run failed away from"],
      ["FIS Experiment Autoshift In Progress", "An FIS experiment shifted traffic away from"],
      ["FIS Experiment Autoshift Completed", "An FIS experiment ended its shift away from"],
      ["FIS Experiment Autoshift Canceled", "An FIS experiment canceled its shift away from"],
      ["Manual Shift Started", "Someone shifted traffic away from"],
      ["Manual Shift Updated", "A manual zonal shift was updated away from"],
      ["Manual Shift Canceled", "A manual zonal shift was canceled away from"],
    ] as const
  ).map(([detailType, says]) => [
    detailType,
    { decision: detailType.toLowerCase().replace("fis experiment", "fis").replaceAll(" ", "-"), says },
  ]),
);

/**
 * An ARC zonal shift event (an autoshift, a practice run, an FIS experiment): AWS, or someone,
 * moved traffic between Availability Zones of one region. Switchyard records it (naming the AZ,
 * the resources and the runbooks with a region there) and notifies; it starts no regional
 * failover: a zonal shift is the recovery already under way, and a region failover on top of it
 * would be a second, much larger change that nobody asked for.
 */
export async function onZonalShiftEvent(deps: TriggerDeps, known: ZonalShiftEvent): Promise<ReactionResult> {
  const { event } = known;
  const detailType = event["detail-type"];
  const meaning = MEANINGS.get(detailType) ?? {
    decision: "zonal-shift",
    says: `ARC zonal shift "${detailType}" away from`,
  };
  const awayFrom = event.detail.metadata.awayFrom;
  const region = event.region ?? "an unnamed region";
  const resources = event.resources ?? [];
  const runbooks = deps.config.failover.runbooks
    .filter((r) => r.primaryRegion === event.region || r.secondaryRegion === event.region)
    .map((r) => r.name);
  const data = event.detail.data;
  const failureInfo = typeof data === "object" ? data.additionalFailureInfo : undefined;

  // EventBridge delivers at least once: the second delivery of the same event tells nobody twice.
  if (!(await claimEvent(deps, "zonal-shift", event.id)))
    return {
      reaction: "failover",
      outcome: "duplicate",
      reason: `${detailType} ${event.id} was recorded already`,
      executions: [],
      subjects: runbooks,
    };

  const reason = [
    `${meaning.says} ${awayFrom} in ${region}`,
    resources.length
      ? `resources: ${resources.join(", ")}`
      : "no configured resource named (observer notification)",
    runbooks.length
      ? `runbooks with a region there: ${runbooks.join(", ")}`
      : "no runbook has a region there",
    ...(failureInfo ? [failureInfo] : []),
    "no regional failover started",
  ].join("; ");
  const details = {
    detailType,
    region: event.region ?? null,
    awayFrom,
    resources,
    runbooks,
    ...(event.detail.metadata.notes ? { notes: event.detail.metadata.notes } : {}),
    ...(failureInfo ? { additionalFailureInfo: failureInfo } : {}),
  };
  await recordAudit(deps.store, {
    reaction: "failover",
    decision: meaning.decision,
    reason,
    subject: awayFrom,
    eventId: event.id,
    correlationId: event.id,
    details,
  });
  await notify(deps, deps.config.notifications.topicArn, `${detailType}: ${awayFrom} in ${region}`, {
    summary: reason,
    ...details,
    eventId: event.id,
    time: event.time ?? null,
  });
  return { reaction: "failover", outcome: "recorded", reason, executions: [], subjects: runbooks };
}

/** Records that this event (of `signal`, e.g. "zonal-shift") was handled; false when it was already. */
export async function claimEvent(deps: CoreDeps, signal: string, eventId: string): Promise<boolean> {
  try {
    await deps.store.db.send(
      new PutCommand({
        TableName: deps.store.table,
        Item: {
          [stateTable.partitionKey]: `failover-signal#${signal}#${eventId}`,
          [stateTable.sortKey]: "seen",
          [stateTable.ttlAttribute]: expiresAfterDays(deps.now(), 7),
        },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": stateTable.partitionKey },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    return awsStep(`record ${signal} event`, () => Promise.reject(error));
  }
}
