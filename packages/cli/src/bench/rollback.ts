import { performance } from "node:perf_hooks";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { claimDeployment, type DeploymentRecord, readDeployment } from "@switchyard/core/store/state";
import { stateTable } from "@switchyard/core/store/table";
import { type ControlPlane, startControlPlane } from "../local/control-plane.ts";
import { alarmStateChange, digestOf, imagePush, imageScan } from "./events.ts";
import { percentile, round } from "./stats.ts";
import { ALARM, benchConfig, deployment, REPOSITORY, TAG } from "./world.ts";

export interface RollbackLatency {
  unit: "ms";
  iterations: number;
  warmup: number;
  p50: number;
  p99: number;
  max: number;
  /** The AWS calls the rollback made before its UpdateAlias, in order (the last iteration's). */
  path: string[];
  /**
   * The floor, measured in the same run on the same simulated account: the median of a bare
   * `UpdateAlias` and of a bare `GetItem` of the state table, each sent alone through the SDK.
   */
  floor: { updateAliasP50: number; getItemP50: number };
  /** Rollback p50 over (bare UpdateAlias p50 + bare GetItem p50): how many floors a rollback costs. */
  ratio: number;
}

const ROLLBACK_PRINCIPAL = "switchyard-rollback";

/**
 * Alarm event handed to the bus → the rollback function's `lambda:UpdateAlias` recorded, in
 * process, on a deployment caught mid-shift (10% on the new version). The first deployment is
 * a real one (push, clean scan, canary step); between iterations the mid-shift state is put
 * back as an operator would (the deployment record re-claimed through core, the alias
 * re-weighted through the Lambda API), which is cheaper than deploying again and leaves the
 * measured path untouched: the rule match, the rollback handler, its reads and its write.
 * The stopped execution is not restarted: StopExecution comes after the measured write.
 */
export async function measureRollbackLatency(options: {
  iterations: number;
  warmup: number;
}): Promise<RollbackLatency> {
  const d = deployment(0);
  const plane = await startControlPlane(benchConfig([d]));
  try {
    const midShift = await deployToMidShift(plane, d.name);
    let sentAt: number | undefined;
    let path: string[] = [];
    plane.account.onCall((call) => {
      if (sentAt !== undefined || call.principal !== ROLLBACK_PRINCIPAL) return;
      if (call.service === "lambda" && call.action === "UpdateAlias") sentAt = performance.now();
      else path.push(`${call.service}:${call.action}`);
    });
    const samples: number[] = [];
    for (let i = 0; i < options.warmup + options.iterations; i++) {
      if (i > 0) await restoreMidShift(plane, midShift);
      plane.account.cloudwatch.observeState(ALARM, "ALARM");
      const event = alarmStateChange(ALARM, "ALARM", plane.account.clock.iso());
      sentAt = undefined;
      path = [];
      const handedAt = performance.now();
      const delivery = await plane.deliver(event);
      const outcome = (delivery.outcomes[0]?.result as { outcome?: string } | undefined)?.outcome;
      if (sentAt === undefined || outcome !== "rolled-back") {
        throw new Error(
          `bench: the alarm event did not roll the deployment back (outcome ${outcome ?? "none"}, ` +
            `UpdateAlias ${sentAt === undefined ? "not called" : "called"})`,
        );
      }
      if (i >= options.warmup) samples.push(sentAt - handedAt);
    }
    const floor = await measureFloor(plane, midShift, options);
    const p50 = percentile(samples, 50);
    return {
      unit: "ms",
      iterations: options.iterations,
      warmup: options.warmup,
      p50: round(percentile(samples, 50), 3),
      p99: round(percentile(samples, 99), 3),
      max: round(Math.max(...samples), 3),
      path,
      floor: { updateAliasP50: round(floor.updateAlias, 3), getItemP50: round(floor.getItem, 3) },
      ratio: round(p50 / (floor.updateAlias + floor.getItem), 2),
    };
  } finally {
    await plane.close();
  }
}

/** A real deploy up to its canary step: push, clean scan, alias at 10% on the new version. */
async function deployToMidShift(plane: ControlPlane, name: string): Promise<DeploymentRecord> {
  const digest = digestOf(0);
  await plane.deliver(imagePush(REPOSITORY, TAG, digest, plane.account.clock.iso()));
  await plane.deliver(imageScan(REPOSITORY, digest, { LOW: 3, INFORMATIONAL: 1 }, plane.account.clock.iso()));
  // Lambda applies the new code for a few virtual seconds before the deploy publishes and shifts.
  for (let i = 0; i < 10 && !(await readDeployment(plane.store, name))?.newVersion; i++) {
    if (!plane.account.clock.advance()) break;
    await plane.settle();
  }
  const record = await readDeployment(plane.store, name);
  const alias = record && plane.account.lambda.aliasState(record.functionName, record.alias);
  if (record?.status !== "shifting" || alias?.weights[record.newVersion] === undefined) {
    throw new Error(
      `bench: the deploy did not reach its canary step (record ${record?.status ?? "missing"}, alias ${JSON.stringify(alias)})`,
    );
  }
  return record;
}

async function restoreMidShift(plane: ControlPlane, record: DeploymentRecord): Promise<void> {
  const { updatedAt: _updatedAt, reason: _reason, generation: _generation, ...shifting } = record;
  const now = await readDeployment(plane.store, record.deployment);
  if (!(await claimDeployment(plane.store, { ...shifting, status: "shifting" }, now?.generation ?? 0))) {
    throw new Error(`bench: could not restore deployment ${record.deployment} to shifting`);
  }
  await plane.clients.lambda.send(
    new UpdateAliasCommand({
      FunctionName: record.functionName,
      Name: record.alias,
      FunctionVersion: record.stableVersion,
      RoutingConfig: { AdditionalVersionWeights: { [record.newVersion]: 0.1 } },
    }),
  );
}

/** Bare calls, one at a time, on the same account and clients as the rollback: its floor. */
async function measureFloor(
  plane: ControlPlane,
  record: DeploymentRecord,
  options: { iterations: number; warmup: number },
): Promise<{ updateAlias: number; getItem: number }> {
  const time = async (call: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < options.warmup + options.iterations; i++) {
      const start = performance.now();
      await call();
      if (i >= options.warmup) samples.push(performance.now() - start);
    }
    return percentile(samples, 50);
  };
  const updateAlias = await time(() =>
    plane.clients.lambda.send(
      new UpdateAliasCommand({
        FunctionName: record.functionName,
        Name: record.alias,
        FunctionVersion: record.stableVersion,
      }),
    ),
  );
  const getItem = await time(() =>
    plane.store.db.send(
      new GetCommand({
        TableName: plane.store.table,
        Key: { [stateTable.partitionKey]: "bench#floor", [stateTable.sortKey]: "bench#floor" },
      }),
    ),
  );
  return { updateAlias, getItem };
}
