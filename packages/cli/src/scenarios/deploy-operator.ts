import {
  advance,
  alarm,
  aliasOn,
  auditSaid,
  operate,
  outcomes,
  push,
  runOut,
  type Scenario,
  say,
  scan,
  shifts,
} from "./vocabulary.ts";

const ORDERS = "orders-api:live";
const WORKER = "queue-worker:live";

/**
 * Scenarios of operator control, break-glass and the GitOps canary (issue #12, ADR 0029).
 */
export const operatorScenarios: readonly Scenario[] = [
  {
    name: "gitops-canary",
    summary:
      "examples/gitops-canary: push → scan passes → 10→25→50→75→100 with 5-minute bakes and both alarms OK; the next push rolls back at 25% when the error-rate alarm fires",
    example: "gitops-canary",
    steps: [
      push("orders"),
      scan("orders"),
      runOut(),
      push("orders"),
      scan("orders"),
      advance(6 * 60),
      say((p) => `the second rollout is at ${JSON.stringify(p.aliases()[ORDERS]?.weights)}`),
      alarm("OrdersErrorRate", "ALARM", "Threshold Crossed: 5xx rate 7.5% > 2%"),
      runOut(),
    ],
    expect: [
      aliasOn(ORDERS, "2", "the error-rate alarm should put the alias back on version 2"),
      outcomes("deployed", "rolled-back"),
      shifts(10, 25, 50, 75, 100, 10, 25),
    ],
  },
  {
    name: "operator-pause-resume",
    summary:
      "worker at its 10% step → `pause worker` holds it past the alarm hold's 15 minutes → `resume worker` → 100%",
    steps: [
      push("worker"),
      advance(30),
      operate({ verb: "pause", deployment: "worker", reason: "watch the canary's queue depth" }),
      advance(30 * 60),
      say((p) => `after 30 minutes paused the alias is still ${JSON.stringify(p.aliases()[WORKER])}`),
      operate({ verb: "resume", deployment: "worker", reason: "queue depth is flat" }),
      runOut(),
    ],
    expect: [
      aliasOn(WORKER, "2"),
      outcomes("deployed"),
      auditSaid("rollout-paused", "watch the canary", "the audit log should record who paused and why"),
    ],
  },
  {
    name: "operator-abort",
    summary: "worker at its 10% step → `abort worker` → alias back on the stable version, execution stopped",
    steps: [
      push("worker"),
      advance(30),
      operate({ verb: "abort", deployment: "worker", reason: "INC-42: wrong config in the image" }),
      runOut(),
    ],
    expect: [aliasOn(WORKER, "1"), auditSaid("aborted", "INC-42", "the audit log should record the abort")],
  },
  {
    name: "break-glass-hotfix",
    summary:
      "worker at its 10% step with an alarm firing → `deploy worker --tag hotfix --break-glass` → the hotfix serves 100% at once, audited and notified",
    steps: [
      push("worker"),
      advance(30),
      operate(
        {
          verb: "deploy",
          deployment: "worker",
          tag: "hotfix",
          breakGlass: true,
          reason: "INC-43: outage, hotfix now",
        },
        "hotfix",
      ),
      runOut(),
    ],
    expect: [
      aliasOn(WORKER, "3", "the hotfix (version 3) should serve 100%"),
      outcomes("rolled-back", "deployed"),
      auditSaid("break-glass", "straight to 100%", "the audit log should record the break-glass"),
    ],
  },
];
