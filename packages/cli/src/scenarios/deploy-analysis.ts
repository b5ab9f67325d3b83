import type { ControlPlane } from "../local/control-plane.ts";
import {
  advance,
  aliasOn,
  auditSaid,
  outcomes,
  push,
  runOut,
  type Scenario,
  say,
  scan,
  shifts,
} from "./vocabulary.ts";

const ORDERS = "orders-api:live";

/**
 * A minute of traffic through orders-api:live, split as the alias splits it: the stable version
 * healthy, the new one (version 2) with `errors` of every 100 failing. The simulated CloudWatch
 * records it as Lambda would, per version (ExecutedVersion), and evaluates alarms on it.
 */
const traffic =
  (errorsPer100: number) =>
  (plane: ControlPlane): string => {
    const split = plane.aliases()[ORDERS];
    const share = split?.weights["2"] ?? 0;
    const count = 1000;
    const canary = Math.round(count * share);
    const base = { functionName: "orders-api", alias: "live" };
    plane.account.cloudwatch.recordLambdaInvocations({
      ...base,
      version: "1",
      count: count - canary,
      durationMs: 140,
    });
    plane.account.cloudwatch.recordLambdaInvocations({
      ...base,
      version: "2",
      count: canary,
      errors: Math.round((canary * errorsPer100) / 100),
      durationMs: 180,
    });
    return `traffic: ${count - canary} requests on version 1, ${canary} on version 2 (${errorsPer100}% of them fail)`;
  };

/** Alarms and analysis scoped to the new version (issue #12, ADR 0026), on examples/gitops-canary. */
export const analysisScenarios: readonly Scenario[] = [
  {
    name: "analysis-rolls-back-bad-version",
    summary:
      "examples/gitops-canary: 10% canary; version 2 fails 8% of its requests (the function as a whole: under 1%) → analysis fails twice (limit 2) → rolled back before 25%",
    example: "gitops-canary",
    steps: [push("orders"), scan("orders"), advance(60), advance(180), say(traffic(8)), runOut()],
    expect: [
      aliasOn(ORDERS, "1", "the analysis should put the alias back on version 1"),
      outcomes("rolled-back"),
      shifts(10),
      auditSaid(
        "analysis-failed",
        "error-rate=0.08 (≤ 0.02) FAILED",
        "each failed check is audited with the version's numbers",
      ),
      auditSaid("rolled-back", "analysis failed 2 of 2 allowed checks", "the rollback names the analysis"),
    ],
  },
  {
    name: "version-alarm-rolls-back",
    summary:
      "examples/gitops-canary: 10% canary; version 2's own Errors alarm (created with the first shift) goes to ALARM on 30 errors in a minute → rolled back within seconds, its alarm deleted",
    example: "gitops-canary",
    steps: [
      push("orders"),
      scan("orders"),
      advance(60),
      advance(60),
      say(traffic(30)),
      runOut(),
      say((plane) =>
        plane.account.cloudwatch.stateOf("switchyard-orders-v2-errors")
          ? "the version's alarm is still there"
          : "the version's alarm was deleted with the deployment",
      ),
    ],
    expect: [
      aliasOn(ORDERS, "1", "the version's alarm should put the alias back on version 1"),
      outcomes("rolled-back"),
      shifts(10),
      auditSaid(
        "rolled-back",
        "alarm switchyard-orders-v2-errors went to ALARM",
        "the rollback names the version's own alarm",
      ),
    ],
  },
];
