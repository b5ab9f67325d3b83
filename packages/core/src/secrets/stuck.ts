import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import type { ManagedSecret } from "../config/schema.ts";
import { SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { recordAudit, type StateStore } from "../store/state.ts";
import { rotators } from "./registry.ts";
import type { Rotator, RotatorDeps } from "./rotator.ts";

/** One configured secret as `switchyard status` shows it. */
export interface SecretStatus {
  readonly secret: string;
  readonly secretId: string;
  readonly rotator: string;
  readonly rotationEnabled: boolean;
  readonly lastRotated?: string;
  readonly nextRotation?: string;
  /** A version staged AWSPENDING but not AWSCURRENT: a rotation that did not finish blocks the next. */
  readonly stuck?: { readonly version: string };
  readonly problem?: string;
}

const pendingOf = (stages: Record<string, string[]>) =>
  Object.entries(stages).find(([, s]) => s.includes("AWSPENDING") && !s.includes("AWSCURRENT"))?.[0];

/** Reads every configured secret's rotation state; a secret that cannot be read says why. */
export async function secretStatuses(
  deps: Pick<RotatorDeps, "clients">,
  secrets: readonly ManagedSecret[],
): Promise<SecretStatus[]> {
  return Promise.all(
    secrets.map(async (s): Promise<SecretStatus> => {
      const base = { secret: s.name, secretId: s.secretId, rotator: s.rotator };
      try {
        const d = await deps.clients.secrets.send(new DescribeSecretCommand({ SecretId: s.secretId }));
        const pending = pendingOf(d.VersionIdsToStages ?? {});
        return {
          ...base,
          rotationEnabled: d.RotationEnabled === true,
          ...(d.LastRotatedDate ? { lastRotated: d.LastRotatedDate.toISOString() } : {}),
          ...(d.NextRotationDate ? { nextRotation: d.NextRotationDate.toISOString() } : {}),
          ...(pending ? { stuck: { version: pending } } : {}),
        };
      } catch (error) {
        return {
          ...base,
          rotationEnabled: false,
          problem: `${(error as Error).name}: ${(error as Error).message}`,
        };
      }
    }),
  );
}

/** Emits one "Secret Rotation Stuck" event per stuck secret on the bus, for alarms and humans. */
export async function emitStuck(
  deps: Pick<RotatorDeps, "clients">,
  statuses: readonly SecretStatus[],
  busName = "default",
): Promise<number> {
  const stuck = statuses.filter((s) => s.stuck);
  if (stuck.length === 0) return 0;
  await deps.clients.eventbridge.send(
    new PutEventsCommand({
      Entries: stuck.map((s) => ({
        Source: "switchyard",
        DetailType: "Secret Rotation Stuck",
        EventBusName: busName,
        Detail: JSON.stringify({ secret: s.secret, secretId: s.secretId, pendingVersion: s.stuck?.version }),
      })),
    }),
  );
  return stuck.length;
}

export type Recovery =
  | { readonly outcome: "not-stuck" }
  | { readonly outcome: "finished"; readonly version: string }
  | { readonly outcome: "retried"; readonly cleared: string; readonly reason: string };

/**
 * Recovers a secret left with an AWSPENDING version: when the pending credential has a value
 * and passes its rotator's test, it is already live, so it becomes AWSCURRENT (what finishSecret
 * would have done); otherwise the label is cleared and a new rotation starts. A rotator whose
 * test cannot prove the external side (`testProvesSet: false`, GitHub's webhook secret) has
 * its setSecret applied again first: the rotation may have stopped before GitHub got the
 * pending secret, and promoting it then would refuse every genuine delivery. `custom` secrets
 * are never finished blind: their pending label is cleared and their own function rotates again.
 */
export async function recoverStuck(deps: RotatorDeps, secret: ManagedSecret): Promise<Recovery> {
  const d = await deps.clients.secrets.send(new DescribeSecretCommand({ SecretId: secret.secretId }));
  const stages = d.VersionIdsToStages ?? {};
  const pending = pendingOf(stages);
  if (!pending) return { outcome: "not-stuck" };
  const current = Object.entries(stages).find(([, s]) => s.includes("AWSCURRENT"))?.[0];
  const rotator = rotators[secret.rotator as keyof typeof rotators] as Rotator | undefined;
  const why =
    (rotator && !rotator.testProvesSet
      ? await failsSet(deps, secret, rotator, stages, pending)
      : undefined) ?? (await failsTest(deps, secret, rotator, pending));
  if (!why && rotator) {
    await deps.clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secret.secretId,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: pending,
        ...(current ? { RemoveFromVersionId: current } : {}),
      }),
    );
    logger.info("stuck rotation finished: the pending credential works", {
      secret: secret.name,
      version: pending,
    });
    return { outcome: "finished", version: pending };
  }
  await deps.clients.secrets.send(
    new UpdateSecretVersionStageCommand({
      SecretId: secret.secretId,
      VersionStage: "AWSPENDING",
      RemoveFromVersionId: pending,
    }),
  );
  await deps.clients.secrets.send(
    new RotateSecretCommand({ SecretId: secret.secretId, RotateImmediately: true }),
  );
  const reason = why ?? "a custom rotator's pending credential cannot be tested here";
  logger.info("stuck rotation cleared and retried", { secret: secret.name, version: pending, reason });
  return { outcome: "retried", cleared: pending, reason };
}

/** Applies the rotator's setSecret again (it is idempotent); the reason it could not, if any. */
async function failsSet(
  deps: RotatorDeps,
  secret: ManagedSecret,
  rotator: Rotator,
  stages: Record<string, string[]>,
  pending: string,
): Promise<string | undefined> {
  const read = async (select: { VersionStage: string; VersionId?: string }) =>
    (await deps.clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.secretId, ...select })))
      .SecretString ?? "";
  let versions: { current: string; pending: string; previous?: string };
  try {
    const hasPrevious = Object.values(stages).some((s) => s.includes("AWSPREVIOUS"));
    versions = {
      current: await read({ VersionStage: "AWSCURRENT" }),
      pending: await read({ VersionId: pending, VersionStage: "AWSPENDING" }),
      ...(hasPrevious ? { previous: await read({ VersionStage: "AWSPREVIOUS" }) } : {}),
    };
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return "the pending version has no value";
    throw error;
  }
  try {
    rotator.validate(versions.pending, secret.options as never);
    await rotator.set(deps, versions, secret.options as never);
    return undefined;
  } catch (error) {
    if (error instanceof SwitchyardError)
      return `setSecret could not be applied again: ${error.name}: ${error.message}`;
    throw error;
  }
}

async function failsTest(
  deps: RotatorDeps,
  secret: ManagedSecret,
  rotator: Rotator | undefined,
  pending: string,
): Promise<string | undefined> {
  if (!rotator) return "custom rotator";
  let value: string;
  try {
    const out = await deps.clients.secrets.send(
      new GetSecretValueCommand({
        SecretId: secret.secretId,
        VersionId: pending,
        VersionStage: "AWSPENDING",
      }),
    );
    value = out.SecretString ?? "";
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return "the pending version has no value";
    throw error;
  }
  try {
    rotator.validate(value, secret.options as never);
    await rotator.test(deps, value, secret.options as never);
    return undefined;
  } catch (error) {
    if (error instanceof SwitchyardError) return `${error.name}: ${error.message}`;
    throw error;
  }
}

export interface SweepResult {
  readonly checked: number;
  readonly stuck: number;
  readonly recoveries: readonly { readonly secret: string; readonly outcome: string }[];
}

/**
 * What the hourly schedule runs: reads every configured secret, emits one event per stuck
 * rotation, and recovers each (a failed recovery is audited and the sweep goes on to the next).
 * Safe to run again: a recovered secret is no longer stuck, a retried one is a new rotation.
 */
export async function sweepStuck(
  deps: RotatorDeps & { readonly store: StateStore },
  secrets: readonly ManagedSecret[],
  eventId?: string,
): Promise<SweepResult> {
  const statuses = await secretStatuses(deps, secrets);
  await emitStuck(deps, statuses);
  const recoveries: { secret: string; outcome: string }[] = [];
  for (const status of statuses.filter((s) => s.stuck)) {
    const secret = secrets.find((s) => s.name === status.secret);
    if (!secret) continue;
    let outcome: string;
    let reason: string;
    try {
      const recovery = await recoverStuck(deps, secret);
      outcome = recovery.outcome;
      reason =
        recovery.outcome === "finished"
          ? `pending version ${recovery.version} works: made AWSCURRENT`
          : recovery.outcome === "retried"
            ? `pending version ${recovery.cleared} cleared (${recovery.reason}); rotation started again`
            : "no longer stuck";
    } catch (error) {
      outcome = "recovery-failed";
      reason = `${(error as Error).name}: ${(error as Error).message}`;
    }
    await recordAudit(deps.store, {
      reaction: "secrets-stuck",
      decision: outcome,
      reason,
      subject: secret.name,
      ...(eventId ? { eventId } : {}),
    });
    recoveries.push({ secret: secret.name, outcome });
  }
  logger.info("stuck rotation sweep", { checked: statuses.length, stuck: recoveries.length });
  return { checked: statuses.length, stuck: recoveries.length, recoveries };
}
