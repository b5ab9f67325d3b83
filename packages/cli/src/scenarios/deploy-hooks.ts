import { type HookEvent, putLifecycleEventHookExecutionStatus } from "@switchyard/core/deployments/hooks";
import type { ControlPlane } from "../local/control-plane.ts";
import {
  aliasOn,
  answer,
  auditCount,
  auditSaid,
  outcomes,
  push,
  runOut,
  type Scenario,
  say,
} from "./vocabulary.ts";

const API = "api-handler:live";
const ONCALL = "oncall@example.com";
const HOOKS_PASS = { "api-smoke-test": "Succeeded", "api-post-traffic-check": "Succeeded" } as const;

/** Registers each traffic hook function: invoked, it reports `status` through the hook callback. */
export function seedHookFunctions(plane: ControlPlane, hooks: Record<string, "Succeeded" | "Failed">): void {
  for (const [name, status] of Object.entries(hooks))
    plane.account.lambda.registerHandler(name, async (event) => {
      const hook = event as HookEvent;
      return putLifecycleEventHookExecutionStatus(plane.clients.sfn, {
        deploymentId: hook.DeploymentId,
        lifecycleEventHookExecutionId: hook.LifecycleEventHookExecutionId,
        status,
      });
    });
}

/** Traffic hooks and approval gates (issue #12), on examples/traffic-hooks. */
export const hookScenarios: readonly Scenario[] = [
  {
    name: "hooks-and-approval-canary",
    summary:
      "examples/traffic-hooks: BeforeAllowTraffic smoke test passes → 10% → waits for approval → approved → 100% → AfterAllowTraffic check passes",
    example: "traffic-hooks",
    world: { hookFunctions: HOOKS_PASS },
    steps: [
      push("api"),
      runOut(),
      say("the canary waits at its approval gate: on-call approves"),
      answer("api", "approve", ONCALL, "canary dashboards look normal"),
      runOut(),
    ],
    expect: [
      aliasOn(API, "2"),
      outcomes("deployed"),
      auditSaid("approved", `${ONCALL} approved step 2`, "the approval names who and why"),
      auditCount("hook-started", 2, "each hook runs once per deployment"),
    ],
  },
  {
    name: "pre-traffic-hook-fails-alias-untouched",
    summary:
      "examples/traffic-hooks: the BeforeAllowTraffic smoke test reports Failed → deployment abandoned, the alias never left the stable version",
    example: "traffic-hooks",
    world: { hookFunctions: { ...HOOKS_PASS, "api-smoke-test": "Failed" } },
    steps: [push("api"), runOut()],
    expect: [
      aliasOn(API, "1"),
      outcomes("abandoned"),
      auditCount("shifted", 0, "no traffic may reach a version whose pre-traffic hook failed"),
      auditSaid(
        "abandoned",
        "BeforeAllowTraffic hook lambda api-smoke-test reported Failed",
        "the reason names the hook",
      ),
    ],
  },
  {
    name: "approval-denied-rolls-back",
    summary:
      "examples/traffic-hooks: 10% canary waits for approval → denied with a reason → alias back on the stable version",
    example: "traffic-hooks",
    world: { hookFunctions: HOOKS_PASS },
    steps: [push("api"), runOut(), answer("api", "deny", ONCALL, "p99 latency doubled"), runOut()],
    expect: [
      aliasOn(API, "1"),
      outcomes("rolled-back"),
      auditSaid(
        "rolled-back",
        `${ONCALL} denied step 2: p99 latency doubled`,
        "the rollback says who denied and why",
      ),
    ],
  },
];
