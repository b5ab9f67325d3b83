import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeExecutionCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import * as z from "zod";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames, SwitchyardError } from "../errors.ts";
import { notify } from "../notify/notify.ts";
import { logger } from "../observability/logger.ts";
import { automationPaused } from "../store/state.ts";
import type { FailoverPart } from "../workflows/failover.ts";
import { approvalSignals } from "./approval.ts";
import { audit, type Carried, isError, type Json, type Plan, type Preflight, type Step } from "./carried.ts";
import type { FailoverStepPayload } from "./input.ts";
import { readFailover } from "./records.ts";

/** The part of Route 53's ListResourceRecordSets answer the DNS plan reads. */
const RecordSets = z.looseObject({
  ResourceRecordSets: z
    .array(
      z.looseObject({
        Name: z.string().max(1024).optional(),
        Type: z.string().max(16).optional(),
        ResourceRecords: z
          .array(z.looseObject({ Value: z.string().max(4000) }))
          .max(400)
          .optional(),
      }),
    )
    .max(1000)
    .optional(),
});

/**
 * Deciding what a failover (or failback) will do, before it does it: preflight (may it run at
 * all, and must a human approve?) and one plan per part (write, skip or wait, from what AWS
 * reports). Nothing here writes to AWS; the state machine's write tasks do, as planned.
 */

/** May the run go ahead (not paused, replica readable and within the RPO, no cooldown, no other run), and must a human approve? */
export const preflight: Step = async (deps, input, payload) => {
  const reasons: string[] = [];
  const world = (payload.world ?? {}) as { promote?: unknown };
  const control = await automationPaused(deps);
  if (control.paused) reasons.push(`automation is paused${control.reason ? ` (${control.reason})` : ""}`);
  let promoted = false;
  let lagSeconds: number | null = null;
  if (input.database?.kind === "aurora-global") {
    const db = input.database;
    if (isError(world.promote))
      reasons.push(
        `global database ${db.globalClusterIdentifier} cannot be read: ${world.promote.Cause ?? world.promote.Error}`,
      );
    else {
      const global = readGlobal(world.promote, db.targetCluster);
      promoted = global.target?.IsWriter === true && global.status === "available";
      if (!global.target)
        reasons.push(`${db.targetCluster} is not a member of global database ${db.globalClusterIdentifier}`);
      else if (!promoted) {
        if (global.status !== "available")
          reasons.push(`global database ${db.globalClusterIdentifier} is ${global.status}, not available`);
        lagSeconds = await replicaLag(deps, input.secondaryRegion, db.targetCluster, GLOBAL_LAG);
        if (lagSeconds === null)
          reasons.push(
            `no AuroraGlobalDBReplicationLag data for ${db.targetCluster} in the last 5 minutes: the data loss cannot be estimated`,
          );
        else if (lagSeconds > input.targets.rpoSeconds)
          reasons.push(`replication lag ${lagSeconds} s exceeds the RPO of ${input.targets.rpoSeconds} s`);
      }
    }
  } else if (input.database) {
    const replica = input.database.replica;
    if (isError(world.promote))
      reasons.push(`database ${replica} cannot be read: ${world.promote.Cause ?? world.promote.Error}`);
    else {
      const db = firstInstance(world.promote);
      promoted = !db.ReadReplicaSourceDBInstanceIdentifier && db.DBInstanceStatus === "available";
      if (!promoted) {
        if (db.DBInstanceStatus !== "available")
          reasons.push(`replica ${replica} is ${String(db.DBInstanceStatus)}, not available`);
        lagSeconds = await replicaLag(deps, input.secondaryRegion, replica);
        if (lagSeconds === null)
          reasons.push(
            `no ReplicaLag data for ${replica} in the last 5 minutes: the data loss cannot be estimated`,
          );
        else if (lagSeconds > input.targets.rpoSeconds)
          reasons.push(`replica lag ${lagSeconds} s exceeds the RPO of ${input.targets.rpoSeconds} s`);
      }
    }
  }
  if (!promoted) {
    const record = await readFailover(deps.store, input.runbook);
    // The cooldown keeps a runbook from flapping between regions; failing back is the way home.
    const until =
      record?.lastCompletedAt && input.direction === "failover"
        ? Date.parse(record.lastCompletedAt) + input.cooldownSeconds * 1000
        : 0;
    if (until > deps.now().getTime())
      reasons.push(
        `runbook ${input.runbook} failed over at ${record?.lastCompletedAt}: in cooldown until ${new Date(until).toISOString()}`,
      );
    const other = await otherRun(deps, input.runbook, payload);
    if (other) reasons.push(`another failover of ${input.runbook} is running: ${other}`);
  }
  const signals = await approvalSignals(deps, input);
  const approval: Preflight["approval"] =
    input.dryRun || promoted
      ? "not-needed"
      : input.approval.autoApprove && signals.alarm && signals.health
        ? "auto"
        : "required";
  const result: Preflight = {
    ok: reasons.length === 0,
    reason: reasons.join("; "),
    reasons,
    approval,
    lagSeconds,
    signals,
  };
  await audit(
    deps,
    input,
    payload,
    result.ok ? "preflight-passed" : "preflight-failed",
    result.ok
      ? promoted
        ? "the replica is already promoted: finishing the failover without asking again"
        : `approval ${approval}${approval === "auto" ? ` (alarm ${signals.alarm} and AWS Health ${signals.health})` : ""}`
      : result.reason,
    { lagSeconds, signals },
  );
  return result;
};

/** Preflight said no: tell the operators why; nothing was changed. */
export const preflightFailed: Step = async (deps, input, payload) => {
  const reason = input.preflight?.value.reason ?? "preflight failed";
  await notify(deps, input.notifyTopicArn, `Switchyard: failover ${input.runbook} stopped at preflight`, {
    runbook: input.runbook,
    reason,
    changed: "nothing",
  });
  logger.warn("failover preflight failed", {
    runbook: input.runbook,
    reason,
    executionArn: payload.execution,
  });
  return null;
};

/** One part's plan from what AWS reported for it; a dry run turns each write into "would". */
export const planPart: Step = async (deps, input, payload) => {
  const part = payload.part as FailoverPart | undefined;
  if (part === "resync") {
    const plan = guarded(input, await planResync(deps, input, payload.world));
    logger.info(`failback resync: ${plan.act}`, { description: plan.description });
    return plan;
  }
  const planner = part ? planners[part] : undefined;
  if (!planner) throw new SwitchyardError(ErrorNames.InvalidInput, `unknown failover part ${String(part)}`);
  const plan = guarded(input, planner(input, payload.world));
  logger.info(`failover ${part}: ${plan.act}`, { description: plan.description });
  return plan;
};

/** Turns "write" into "dry-run" when the run writes nothing. */
const guarded = (input: Carried, plan: Plan): Plan =>
  plan.act === "write" && input.dryRun
    ? { ...plan, act: "dry-run", description: `would ${plan.description}` }
    : plan;

/** One planner per part: what the world says (a describe/get result, or the error) → write or skip. */
const planners: Record<Exclude<FailoverPart, "resync">, (input: Carried, world: unknown) => Plan> = {
  promote(input, world) {
    if (input.database?.kind === "aurora-global") return planGlobal(input, input.database, world);
    const replica = input.database?.replica ?? "";
    if (isError(world))
      throw new SwitchyardError(ErrorNames.ConfigError, `database ${replica}: ${world.Cause ?? world.Error}`);
    const db = firstInstance(world);
    const source = db.ReadReplicaSourceDBInstanceIdentifier as string | undefined;
    const status = String(db.DBInstanceStatus ?? "unknown");
    if (source && status === "available")
      return {
        act: "write",
        description: `promote ${replica} (${input.secondaryRegion}), a replica of ${source}`,
        from: "replica",
        to: "primary",
      };
    if (!source && status === "available")
      return { act: "skip", description: `${replica} is already a standalone primary` };
    return { act: "wait", description: `${replica} is ${status}: waiting for it to finish` };
  },
  scaleLambda(input, world) {
    const target = input.compute.lambda?.provisionedConcurrency ?? 0;
    const current = isError(world)
      ? 0
      : Number((world as Json).RequestedProvisionedConcurrentExecutions ?? 0);
    const what = `${input.compute.lambda?.function}:${input.compute.lambda?.alias}`;
    return current >= target
      ? { act: "skip", description: `${what} already has ${current} provisioned concurrency (≥ ${target})` }
      : {
          act: "write",
          description: `set ${what} provisioned concurrency ${current} → ${target}`,
          from: current,
          to: target,
        };
  },
  scaleEcs(input, world) {
    const ecs = input.compute.ecs;
    // The ECS API's own spelling (camelCase): the call is the SDK's, sent in the secondary region.
    const service = ((world as { services?: Json[] }).services ?? [])[0];
    if (!ecs || !service)
      throw new SwitchyardError(
        ErrorNames.ConfigError,
        `ECS service ${ecs?.cluster}/${ecs?.service} does not exist`,
      );
    const current = Number(service.desiredCount ?? 0);
    return current >= ecs.desiredCount
      ? { act: "skip", description: `${ecs.service} already wants ${current} tasks (≥ ${ecs.desiredCount})` }
      : {
          act: "write",
          description: `scale ECS ${ecs.cluster}/${ecs.service} ${current} → ${ecs.desiredCount} tasks`,
          from: current,
          to: ecs.desiredCount,
        };
  },
  scaleAutoScaling(input, world) {
    const asg = input.compute.autoScaling;
    const group = ((world as { AutoScalingGroups?: Json[] }).AutoScalingGroups ?? [])[0];
    if (!asg || !group)
      throw new SwitchyardError(ErrorNames.ConfigError, `Auto Scaling group ${asg?.group} does not exist`);
    const current = Number(group.DesiredCapacity ?? 0);
    const max = Number(group.MaxSize ?? 0);
    if (asg.desiredCapacity > max)
      throw new SwitchyardError(
        ErrorNames.ConfigError,
        `Auto Scaling group ${asg.group} can hold at most ${max} instances, the runbook asks for ${asg.desiredCapacity}: raise MaxSize`,
      );
    return current >= asg.desiredCapacity
      ? {
          act: "skip",
          description: `${asg.group} already wants ${current} instances (≥ ${asg.desiredCapacity})`,
        }
      : {
          act: "write",
          description: `scale ${asg.group} ${current} → ${asg.desiredCapacity} instances`,
          from: current,
          to: asg.desiredCapacity,
        };
  },
  configure(input, world) {
    const cfg = input.configuration;
    const current = isError(world)
      ? null
      : (((world as { Parameter?: Json }).Parameter?.Value as string | undefined) ?? null);
    if (!cfg) throw new SwitchyardError(ErrorNames.InvalidInput, "configure needs configuration");
    return current === cfg.value
      ? { act: "skip", description: `${cfg.parameter} already holds ${cfg.value}` }
      : {
          act: "write",
          description: `set ${cfg.parameter} ${current ?? "(none)"} → ${cfg.value}`,
          from: current,
          to: cfg.value,
        };
  },
  dns(input, world) {
    const dns = input.dns;
    if (!dns) throw new SwitchyardError(ErrorNames.InvalidInput, "dns needs dns");
    const fqdn = (n: string) => (n.endsWith(".") ? n : `${n}.`).toLowerCase();
    // Route 53's ListResourceRecordSets answer, carried from the state machine's SDK task: checked
    // before it is read, so a mangled one fails by name instead of throwing.
    const read = RecordSets.safeParse(world);
    if (!read.success)
      throw new SwitchyardError(
        ErrorNames.InvalidInput,
        `world.ResourceRecordSets is not Route 53's ListResourceRecordSets answer: ${read.error.issues[0]?.message}`,
      );
    const record = (read.data.ResourceRecordSets ?? []).find(
      (r) => fqdn(String(r.Name)) === fqdn(dns.name) && r.Type === dns.type,
    );
    const values = (record?.ResourceRecords ?? []).map((r) => r.Value);
    const resourceRecords = [{ Value: dns.value }];
    return values.length === 1 && values[0] === dns.value
      ? { act: "skip", description: `${dns.name} ${dns.type} already answers ${dns.value}`, resourceRecords }
      : {
          act: "write",
          description: `point ${dns.name} ${dns.type} ${values.join(",") || "(none)"} → ${dns.value}`,
          from: values,
          to: dns.value,
          resourceRecords,
        };
  },
};

/** Where each kind of database publishes its replication lag, and in what unit. */
const REPLICA_LAG = { metric: "ReplicaLag", dimension: "DBInstanceIdentifier", perSecond: 1 } as const;
const GLOBAL_LAG = {
  metric: "AuroraGlobalDBReplicationLag",
  dimension: "DBClusterIdentifier",
  perSecond: 1000,
} as const;

/** The first instance of a DescribeDBInstances answer (the RDS API's spelling), or nothing. */
function firstInstance(world: unknown): Json {
  return ((world as { DBInstances?: Json[] } | undefined)?.DBInstances ?? [])[0] ?? {};
}

/**
 * The worst lag of the last 5 minutes, in seconds (rounded up); null without data. RDS publishes
 * a replica's metrics in the replica's region: read there, with a client of that region.
 */
async function replicaLag(
  deps: CoreDeps,
  region: string,
  replica: string,
  source: typeof REPLICA_LAG | typeof GLOBAL_LAG = REPLICA_LAG,
): Promise<number | null> {
  const now = deps.now();
  const out = await awsStep("read replica lag", () =>
    deps.clients.forRegion(region).cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/RDS",
        MetricName: source.metric,
        Dimensions: [{ Name: source.dimension, Value: replica }],
        StartTime: new Date(now.getTime() - 5 * 60_000),
        EndTime: now,
        Period: 60,
        Statistics: ["Maximum"],
      }),
    ),
  );
  const points = (out.Datapoints ?? []).map((p) => p.Maximum ?? 0);
  return points.length === 0 ? null : Math.ceil(Math.max(...points) / source.perSecond);
}

/**
 * Planned or unplanned, by what started the run: a person (or a failback) starts a planned
 * switchover, which waits for the secondary to catch up and loses nothing; an alarm or an AWS
 * Health issue says the primary is impaired, so the failover allows the data loss of the lag.
 */
const GLOBAL_MODES = {
  manual: {
    mode: "switchover",
    why: "planned switchover (started by hand: the primary is healthy), no data loss",
  },
  failback: { mode: "switchover", why: "planned switchover back to the old primary region, no data loss" },
  alarm: {
    mode: "failover",
    why: "unplanned failover with data loss allowed (a health-check alarm: the primary is impaired)",
  },
  health: {
    mode: "failover",
    why: "unplanned failover with data loss allowed (an AWS Health issue: the primary is impaired)",
  },
} as const;

type GlobalMember = { DBClusterArn?: string; IsWriter?: boolean };

function readGlobal(world: unknown, targetCluster: string) {
  const global = ((world as { GlobalClusters?: Json[] } | undefined)?.GlobalClusters ?? [])[0] ?? {};
  const members = (global.GlobalClusterMembers ?? []) as GlobalMember[];
  return {
    status: String(global.Status ?? "unknown"),
    writer: members.find((m) => m.IsWriter)?.DBClusterArn,
    target: members.find((m) => m.DBClusterArn?.split(":").at(-1) === targetCluster),
  };
}

function planGlobal(
  input: Carried,
  db: Extract<NonNullable<Carried["database"]>, { kind: "aurora-global" }>,
  world: unknown,
): Plan {
  const id = db.globalClusterIdentifier;
  if (isError(world))
    throw new SwitchyardError(ErrorNames.ConfigError, `global database ${id}: ${world.Cause ?? world.Error}`);
  const global = readGlobal(world, db.targetCluster);
  if (!global.target)
    throw new SwitchyardError(
      ErrorNames.ConfigError,
      `${db.targetCluster} is not a member of global database ${id}`,
    );
  if (global.status !== "available")
    return {
      act: "wait",
      description: `global database ${id} is ${global.status}: waiting for it to finish`,
    };
  if (global.target.IsWriter)
    return { act: "skip", description: `${db.targetCluster} is already the writer of ${id}` };
  const how = GLOBAL_MODES[input.direction === "failback" ? "failback" : (input.trigger?.kind ?? "manual")];
  return {
    act: "write",
    description: `make ${db.targetCluster} (${input.secondaryRegion}) the writer of ${id}: ${how.why}`,
    from: global.writer,
    to: global.target.DBClusterArn,
    mode: how.mode,
  };
}

/** Another running execution of the same state machine for the same runbook, if any. */
async function otherRun(
  deps: CoreDeps,
  runbook: string,
  payload: FailoverStepPayload,
): Promise<string | undefined> {
  if (!payload.stateMachine) return undefined;
  const running = await awsStep("list running failovers", () =>
    deps.clients.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: payload.stateMachine, statusFilter: "RUNNING" }),
    ),
  );
  for (const e of running.executions ?? []) {
    if (e.executionArn === payload.execution || !e.executionArn) continue;
    const described = await awsStep("describe running failover", () =>
      deps.clients.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })),
    );
    try {
      if ((JSON.parse(described.input ?? "{}") as { runbook?: string }).runbook === runbook)
        return e.executionArn;
    } catch {
      // Input that is not JSON cannot name this runbook.
    }
  }
  return undefined;
}

/** Failback's first part: the new replica exists, is available, and trails its source by no more than the RPO. */
async function planResync(deps: CoreDeps, input: Carried, world: unknown): Promise<Plan> {
  const resync = input.resync;
  if (!resync) throw new SwitchyardError(ErrorNames.InvalidInput, "failback needs resync");
  if (isError(world))
    return {
      act: "write",
      description: `create ${resync.replica} in ${input.secondaryRegion}, replicating ${resync.source}`,
      to: resync.replica,
    };
  const db = firstInstance(world);
  const status = String(db.DBInstanceStatus ?? "unknown");
  if (!db.ReadReplicaSourceDBInstanceIdentifier && status === "available")
    return {
      act: "skip",
      description: `${resync.replica} is already a standalone primary: nothing to resync`,
    };
  if (status !== "available") return { act: "wait", description: `${resync.replica} is ${status}` };
  const lag = await replicaLag(deps, input.secondaryRegion, resync.replica);
  if (lag === null || lag > input.targets.rpoSeconds)
    return {
      act: "wait",
      description: `${resync.replica} trails by ${lag ?? "unknown"} s (RPO ${input.targets.rpoSeconds} s)`,
    };
  return { act: "skip", description: `${resync.replica} is in sync (lag ${lag} s)` };
}
