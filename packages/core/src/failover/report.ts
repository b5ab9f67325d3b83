import { GetExecutionHistoryCommand, type HistoryEvent } from "@aws-sdk/client-sfn";
import type { CoreDeps } from "../context.ts";
import { awsStep } from "../errors.ts";
import type { FailoverPart } from "../workflows/failover.ts";
import { audit, type Carried, type Plan, type Step } from "./carried.ts";
import { updateFailover } from "./records.ts";

/** One execution history event, as much of it as the report needs. */
export interface StepTiming {
  readonly type: string;
  readonly timestamp: string;
  readonly stateName?: string | undefined;
}

type Outcome = "changed" | "skipped" | "planned" | "waited" | "done" | "not configured";

/** A part that reads, plans and writes (or skips): `Read…`, `Plan<act>`, `<act>`, `<act>Skipped`. */
const readPlanWrite = (step: string, part: FailoverPart, read: string, act: string) => ({
  step,
  part,
  states: [read, `Plan${act}`, act, `${act}Skipped`],
});

/** The report's steps, in order, and the states each is made of (see workflows/failover.ts). */
const STEPS: { step: string; part?: FailoverPart; write?: string; states: string[] }[] = [
  {
    step: "resync",
    part: "resync",
    write: "CreateResyncReplica",
    states: ["ReadResyncReplica", "PlanResync", "CreateResyncReplica", "WaitForResync"],
  },
  { step: "preflight", states: ["Validate", "ReadDatabase", "ReadGlobalDatabase", "Preflight"] },
  { step: "approval", states: ["WaitForApprovalToFailOver"] },
  {
    step: "promote",
    part: "promote",
    states: [
      "ReadReplica",
      "PlanPromoteReplica",
      "PromoteReplica",
      "PromoteReplicaSkipped",
      "WaitForPromotion",
      "CheckPromotion",
      // An Aurora global database instead of a replica.
      "ReadGlobalCluster",
      "PlanSwitchGlobal",
      "SwitchoverGlobalCluster",
      "FailoverGlobalCluster",
      "SwitchGlobalSkipped",
      "WaitForGlobalSwitch",
      "CheckGlobalSwitch",
    ],
  },
  readPlanWrite("scale Lambda", "scaleLambda", "ReadLambdaCapacity", "ScaleLambda"),
  readPlanWrite("scale ECS", "scaleEcs", "ReadEcsService", "ScaleEcs"),
  readPlanWrite("scale Auto Scaling", "scaleAutoScaling", "ReadAutoScalingGroup", "ScaleAutoScaling"),
  readPlanWrite("configure", "configure", "ReadParameter", "Configure"),
  {
    step: "DNS",
    part: "dns",
    states: [
      "ReadRecord",
      "PlanSwitchDns",
      "SwitchDns",
      "SwitchDnsSkipped",
      "WaitForDnsSync",
      "CheckDnsSync",
    ],
  },
  { step: "verify", states: ["ReadHealthCheck", "Verify"] },
];

const OUTCOME: Record<Plan["act"], Outcome> = {
  write: "changed",
  skip: "skipped",
  "dry-run": "planned",
  wait: "waited",
};

/** The run's report: JSON for machines, Markdown for humans, RTO achieved vs target and the RPO estimate. */
export function buildReport(input: Carried, executionArn: string, history: readonly StepTiming[], now: Date) {
  const steps = STEPS.filter((s) => s.part !== "resync" || input.resync).map(
    ({ step, part, write, states }) => {
      const mine = history.filter((h) => h.stateName && states.includes(h.stateName));
      const entered = mine.find((h) => h.type.endsWith("StateEntered"));
      const exited = [...mine].reverse().find((h) => h.type.endsWith("StateExited"));
      const plan = part ? input.plans?.[part]?.value : undefined;
      // A part that loops (resync) keeps only its last plan: its write in the history says it changed something.
      const wrote =
        write !== undefined && mine.some((h) => h.stateName === write && h.type.endsWith("StateExited"));
      const outcome: Outcome = wrote
        ? "changed"
        : plan
          ? OUTCOME[plan.act]
          : mine.length > 0
            ? "done"
            : "not configured";
      const detail =
        plan?.description ??
        (step === "approval"
          ? approvalText(input)
          : step === "verify"
            ? verifyText(input)
            : step === "preflight"
              ? "passed"
              : "");
      return {
        step,
        outcome,
        detail,
        ...(entered ? { startedAt: entered.timestamp } : {}),
        ...(exited ? { endedAt: exited.timestamp } : {}),
      };
    },
  );
  const changed = steps.filter((s) => s.outcome === "changed" || s.outcome === "waited").length;
  const triggerTime =
    input.trigger?.kind !== "manual" && input.trigger?.time ? Date.parse(input.trigger.time) : Number.NaN;
  const startedAt = Number.isNaN(triggerTime)
    ? Date.parse(history[0]?.timestamp ?? now.toISOString())
    : triggerTime;
  const achievedSeconds = Math.round((now.getTime() - startedAt) / 1000);
  const lag = input.preflight?.value.lagSeconds ?? null;
  const outcome = input.dryRun
    ? "dry-run"
    : changed === 0
      ? "nothing-to-do"
      : input.direction === "failback"
        ? "failed-back"
        : "failed-over";
  const json = {
    runbook: input.runbook,
    executionArn,
    outcome,
    from: input.primaryRegion,
    to: input.secondaryRegion,
    trigger: input.trigger,
    approval: { mode: input.preflight?.value.approval ?? "required", by: input.approved?.approvedBy ?? null },
    steps,
    rto: {
      targetSeconds: input.targets.rtoSeconds,
      achievedSeconds,
      met: achievedSeconds <= input.targets.rtoSeconds,
      measuredFrom: Number.isNaN(triggerTime) ? "execution start" : "trigger event",
    },
    rpo: {
      targetSeconds: input.targets.rpoSeconds,
      estimateSeconds: lag,
      met: lag === null ? null : lag <= input.targets.rpoSeconds,
      basis: lag === null ? "no promotion in this run" : "replica lag at preflight",
    },
  };
  const summary =
    outcome === "nothing-to-do"
      ? `nothing to do: every step was already done (${input.runbook} runs in ${input.secondaryRegion})`
      : outcome === "dry-run"
        ? `dry run: ${steps.filter((s) => s.outcome === "planned").length} writes planned, none made`
        : `${input.direction === "failback" ? "failed back" : "failed over"} ${input.primaryRegion} → ${input.secondaryRegion} in ${achievedSeconds} s (RTO target ${input.targets.rtoSeconds} s)`;
  const markdown = [
    `# Failover ${input.runbook}: ${outcome}`,
    "",
    summary,
    "",
    `- from ${input.primaryRegion} to ${input.secondaryRegion}; trigger: ${input.trigger?.kind ?? "manual"} ${input.trigger?.eventId ?? ""}`,
    `- approval: ${json.approval.mode}${json.approval.by ? ` by ${json.approval.by}` : ""}`,
    `- RTO: ${achievedSeconds} s achieved, target ${input.targets.rtoSeconds} s (${json.rto.met ? "met" : "missed"}; from ${json.rto.measuredFrom})`,
    `- RPO: ${lag === null ? "n/a" : `≈ ${lag} s of writes at risk`}, target ${input.targets.rpoSeconds} s (${json.rpo.basis})`,
    "",
    "| step | outcome | started | ended | detail |",
    "|---|---|---|---|---|",
    ...steps.map(
      (s) => `| ${s.step} | ${s.outcome} | ${s.startedAt ?? ""} | ${s.endedAt ?? ""} | ${s.detail} |`,
    ),
    "",
    `Execution: ${executionArn}`,
  ].join("\n");
  return {
    json,
    markdown,
    changed: outcome === "failed-over" || outcome === "failed-back" ? changed : 0,
    summary,
    subject: `Switchyard: failover ${input.runbook} ${outcome}`,
  };
}

function approvalText(input: Carried): string {
  const mode = input.preflight?.value.approval;
  if (input.approved?.approvedBy) return `approved by ${input.approved.approvedBy}`;
  if (mode === "auto") return `auto-approved: ${JSON.stringify(input.preflight?.value.signals)}`;
  return mode === "not-needed" ? "not needed (nothing irreversible left to do, or a dry run)" : "";
}

function verifyText(input: Carried): string {
  const v = input.verification?.value;
  return v ? `${v.ok ? "healthy" : "unhealthy"}: ${JSON.stringify(v.checks)}` : "";
}

/** The last state: the run's report from its execution history, kept on the runbook's record and audited. */
export const writeReport: Step = async (deps, input, payload) => {
  const history = await executionHistory(deps, payload.execution);
  const built = buildReport(input, payload.execution, history, deps.now());
  await updateFailover(deps.store, input.runbook, {
    executionArn: payload.execution,
    report: built.json,
    markdown: built.markdown,
    ...(built.changed > 0 ? { lastCompletedAt: deps.now().toISOString() } : {}),
  });
  await audit(deps, input, payload, built.json.outcome, built.summary, {
    rto: built.json.rto,
    rpo: built.json.rpo,
  });
  return {
    subject: built.subject,
    markdown: built.markdown,
    changed: built.changed,
    outcome: built.json.outcome,
  };
};

async function executionHistory(deps: CoreDeps, executionArn: string): Promise<StepTiming[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await awsStep("read execution history", () =>
      deps.clients.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, ...(nextToken ? { nextToken } : {}) }),
      ),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return events.map((e) => {
    const raw = e as unknown as {
      stateName?: string;
      stateEnteredEventDetails?: { name?: string };
      stateExitedEventDetails?: { name?: string };
    };
    return {
      type: String(e.type),
      timestamp: new Date(e.timestamp ?? 0).toISOString(),
      stateName: raw.stateName ?? raw.stateEnteredEventDetails?.name ?? raw.stateExitedEventDetails?.name,
    };
  });
}
