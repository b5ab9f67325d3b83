import type { Config, Deployment } from "@switchyard/core/config/index";
import type { CoreDeps } from "@switchyard/core/context";
import { readResponse } from "@switchyard/core/cost/record";
import { waitingApproval } from "@switchyard/core/deployments/gates";
import { scanSubjectOf } from "@switchyard/core/deployments/scan-gate";
import { readFailover } from "@switchyard/core/failover/records";
import { type SecretStatus, secretStatuses } from "@switchyard/core/secrets/stuck";
import {
  type AuditRecord,
  type AutomationControl,
  type DeploymentRecord,
  getScanResult,
  listAudit,
  readControl,
  type StoredScan,
} from "@switchyard/core/store/state";
import { status } from "../ops.ts";
import type { AliasPoint, DevPlane } from "./engine.ts";

/**
 * What the dashboard and the operations verbs read from a running `switchyard dev`: one
 * document, each part also served on its own (`/api/status`, `/api/history`, ...).
 */
export interface DevState {
  /** Virtual time (ms since epoch) and how fast it runs (virtual seconds per wall second). */
  readonly now: number;
  readonly speed: number;
  readonly killSwitch: AutomationControl;
  readonly deployments: DeploymentView[];
  readonly history: AuditRecord[];
  readonly failovers: FailoverView[];
  readonly cost: CostView[];
  readonly secrets: SecretStatus[];
  /** Set when the page shows a real account (`switchyard ui --aws`) rather than a dev control plane. */
  readonly account?: AccountMode;
}

/** A real account's dashboard: where it reads, and whether its buttons act (and if not, how to let them). */
export interface AccountMode {
  readonly where: string;
  readonly actions: boolean;
  /** Why the buttons are disabled and how to enable them, one line (the buttons' tooltip). */
  readonly readOnly?: string;
}

/** What a state read needs beyond the account: the clock and the routing history it has seen. */
export interface Observed {
  readonly now: number;
  readonly speed: number;
  series(deployment: string): AliasPoint[];
  /** When the current bake of a shifting deployment ends, if the reader can know it. */
  bakeUntil?(d: Deployment, record: DeploymentRecord): number | undefined;
  readonly account?: AccountMode;
}

export interface DeploymentView {
  readonly name: string;
  readonly alias: string;
  /** "version 1 with 10% on version 2" */
  readonly serving: string;
  /** The strategy's steps: the new version's percentage and the bake after it, in seconds. */
  readonly steps: { percent: number; bakeSeconds: number }[];
  readonly record?: DeploymentRecord;
  /** While shifting: which step (1-based) the alias is on, the new version's percentage, and when its bake ends. */
  readonly step?: { index: number; of: number; percent: number; bakeUntil?: number };
  readonly alarms: { name: string; state: string }[];
  readonly scan?: StoredScan & { threshold?: string; image: string };
  readonly series: AliasPoint[];
  /** The approval gate the rollout waits at (`switchyard approve|deny DEPLOYMENT` answers it). */
  readonly waitingForApproval?: { step: number; askedAt: string; executionArn: string };
}

export interface FailoverView {
  readonly runbook: string;
  readonly from: string;
  readonly to: string;
  readonly executionArn?: string;
  readonly waitingForApproval?: { executionArn: string; requestedAt: string };
  readonly lastCompletedAt?: string;
  readonly report?: unknown;
  readonly markdown?: string;
}

export interface CostView {
  readonly anomalyId: string;
  readonly rule: string;
  readonly tier: string;
  readonly status: string;
  readonly totalImpact: number;
  readonly updatedAt: string;
  readonly waitingForApproval: boolean;
  readonly executionArn: string;
  readonly actions: {
    type: string;
    target: string;
    tier: string;
    status: string;
    note: string;
    at: string;
  }[];
  /** The approvals and denials given, with who gave them (from the audit log). */
  readonly answers: { decision: string; reason: string; at: string }[];
}

/** The newest audit records the dashboard's timeline shows. */
const HISTORY = 500;

export async function devState(dev: DevPlane): Promise<DevState> {
  return dev.read(() =>
    readState(dev.config, dev.plane.context, {
      now: dev.plane.account.clock.now(),
      speed: dev.speed,
      series: (name) => dev.series.get(name) ?? [],
      bakeUntil: (_d, record) => {
        const name = record.executionArn.split(":").at(-1) ?? "";
        // The execution's Wait state is a timer on the virtual clock, labelled with the execution's name.
        return dev.plane.account.clock
          .pending()
          .find((t) => t.label.startsWith(`${name}/`) && !t.label.endsWith(" timeout"))?.at;
      },
    }),
  );
}

/**
 * Everything the dashboard shows, read through `deps` (the simulated account of a dev control
 * plane, or a real account): the same reads as `switchyard status` and `history`.
 */
export async function readState(config: Config, deps: CoreDeps, seen: Observed): Promise<DevState> {
  const target = { deps, where: seen.account?.where ?? "switchyard dev", close: async () => undefined };
  const [s, audit, control, secrets] = await Promise.all([
    status(config, target),
    listAudit(deps.store),
    readControl(deps.store),
    secretStatuses(deps, config.secrets),
  ]);
  const deployments = await Promise.all(
    config.deployments.map(async (d, i): Promise<DeploymentView> => {
      const current = s.deployments[i];
      const record = current?.record;
      const series = seen.series(d.name);
      return {
        name: d.name,
        alias: `${d.function}:${d.alias}`,
        serving: current?.serving ?? "",
        steps: d.steps.map((x) => ({ percent: Math.round(x.weight * 100), bakeSeconds: x.pauseSeconds })),
        ...(record ? { record } : {}),
        ...(record?.status === "shifting"
          ? { step: shiftStep(d, record, series, seen.bakeUntil?.(d, record)) }
          : {}),
        alarms: Object.entries(current?.alarms ?? {}).map(([name, state]) => ({ name, state })),
        ...(record ? await scanOf(deps.store, d, record) : {}),
        series,
        ...(record?.status === "shifting" ? await approvalOf(deps, d.name) : {}),
      };
    }),
  );
  const failovers = await Promise.all(
    config.failover.runbooks.map(async (r): Promise<FailoverView> => {
      const record = await readFailover(deps.store, r.name);
      return {
        runbook: r.name,
        from: r.primaryRegion,
        to: r.secondaryRegion,
        ...(record?.executionArn ? { executionArn: record.executionArn } : {}),
        ...(record?.approval
          ? {
              waitingForApproval: {
                executionArn: record.approval.executionArn,
                requestedAt: record.approval.requestedAt,
              },
            }
          : {}),
        ...(record?.lastCompletedAt ? { lastCompletedAt: record.lastCompletedAt } : {}),
        ...(record?.report ? { report: record.report } : {}),
        ...(record?.markdown ? { markdown: record.markdown } : {}),
      };
    }),
  );
  // Each cost response is named by the anomaly it answers: the audit log names them all.
  const anomalies = [
    ...new Set(audit.filter((a) => a.reaction === "cost" && a.subject).map((a) => String(a.subject))),
  ];
  const cost = (
    await Promise.all(
      anomalies.map(async (anomalyId): Promise<CostView | undefined> => {
        const r = await readResponse(deps.store, anomalyId);
        if (!r) return undefined;
        return {
          anomalyId,
          rule: r.rule,
          tier: r.tier,
          status: r.status,
          totalImpact: r.totalImpact,
          updatedAt: r.updatedAt,
          waitingForApproval: r.status === "open" && r.approvalToken !== undefined,
          executionArn: r.executionArn,
          actions: Object.values(r.applied).map(({ type, target, tier, status, note, at }) => ({
            type,
            target,
            tier,
            status,
            note,
            at,
          })),
          answers: audit
            .filter(
              (a) =>
                a.reaction === "cost" &&
                a.subject === anomalyId &&
                (a.decision === "approved" || a.decision === "denied"),
            )
            .map(({ decision, reason, at }) => ({ decision, reason, at })),
        };
      }),
    )
  ).filter((c): c is CostView => c !== undefined);
  return {
    now: seen.now,
    speed: seen.speed,
    killSwitch: control,
    deployments,
    history: audit.slice(-HISTORY),
    failovers,
    cost,
    secrets,
    ...(seen.account ? { account: seen.account } : {}),
  };
}

/** The step the alias is on, read from the weight it gives the new version, and when its bake ends. */
function shiftStep(
  d: Deployment,
  record: DeploymentRecord,
  points: AliasPoint[],
  bakeUntil: number | undefined,
): DeploymentView["step"] {
  const last = points.at(-1);
  const percent = Math.round((last?.weights[record.newVersion] ?? 0) * 100);
  const index = d.steps.findIndex((x) => Math.round(x.weight * 100) === percent);
  return {
    index: index + 1,
    of: d.steps.length,
    percent,
    ...(bakeUntil !== undefined && index >= 0 ? { bakeUntil } : {}),
  };
}

async function approvalOf(deps: CoreDeps, deployment: string) {
  const waiting = await waitingApproval(deps, deployment);
  return waiting ? { waitingForApproval: waiting } : {};
}

/** The scan of the image the deployment ships (`…/repository@sha256:…`), if one was recorded. */
async function scanOf(
  store: CoreDeps["store"],
  d: Deployment,
  record: DeploymentRecord,
): Promise<{ scan?: DeploymentView["scan"] }> {
  const subject = scanSubjectOf(record.imageUri);
  if (!subject) return {};
  const found = await getScanResult(store, subject);
  if (!found) return {};
  const threshold = d.gates.scan?.threshold;
  return {
    scan: {
      ...found,
      image: `${subject.repository}@${subject.digest}`,
      ...(threshold ? { threshold } : {}),
    },
  };
}

/** The parts of the state the API serves on their own. */
export const PARTS = {
  /** The shape `switchyard status --json` prints for the simulated or a real account, and more. */
  status: (s: DevState) => ({
    where: s.account?.where ?? "switchyard dev",
    now: new Date(s.now).toISOString(),
    paused: s.killSwitch.paused,
    ...(s.killSwitch.reason ? { pausedReason: s.killSwitch.reason } : {}),
    deployments: s.deployments.map(({ name, alias, serving, record, step, alarms, scan }) => ({
      deployment: name,
      alias,
      serving,
      ...(record ? { record } : {}),
      ...(step ? { step } : {}),
      alarms: Object.fromEntries(alarms.map((a) => [a.name, a.state])),
      ...(scan ? { scan } : {}),
    })),
    secrets: s.secrets,
  }),
  history: (s: DevState) => s.history,
  deployments: (s: DevState) => s.deployments,
  failovers: (s: DevState) => s.failovers,
  cost: (s: DevState) => s.cost,
  secrets: (s: DevState) => s.secrets,
  "kill-switch": (s: DevState) => s.killSwitch,
} as const;
