import {
  advance,
  alarm,
  aliasOn,
  auditCount,
  auditSaid,
  outcomes,
  push,
  runOut,
  type Scenario,
  say,
  shifts,
  type World,
} from "./vocabulary.ts";

export const PODINFO_SECRET = "podinfo/api";
/**
 * The Podinfo example's world: its API secret and the GitHub token Switchyard resolves alerts
 * with (both invented: no public sample of either exists), and podinfo's own rotation function
 * (its four steps put a fresh random "token" in the JSON document).
 */
export const PODINFO: World = {
  secretValues: {
    [PODINFO_SECRET]: JSON.stringify({ token: "podinfo-initial-token-00000000000000000000" }),
    "switchyard/github-token": "ghp_scenarioToken00000000000000000000000",
  },
  rotationFunctions: { "podinfo-rotate-api-secret": { rotator: "random", field: "token" } },
};

const FRONTEND = "podinfo-frontend:live";
const BACKEND = "podinfo-backend:live";

/** Where an alias routes now, for the timeline. */
const routing = (alias: string) => (p: { aliases(): Record<string, unknown> }) =>
  `${alias} routes ${JSON.stringify(p.aliases()[alias])}`;

/**
 * A push of the backend, blue/green: one shift to 100%, then podinfo's smoke test (the
 * post-traffic hook) reports `smokeTest`.
 */
const blueGreen = (
  name: string,
  smokeTest: "Succeeded" | "Failed",
  { summary, expect }: Pick<Scenario, "summary" | "expect">,
): Scenario => ({
  name,
  summary,
  example: "podinfo",
  world: { ...PODINFO, hookFunctions: { "podinfo-smoke-test": smokeTest } },
  steps: [push("backend"), runOut()],
  expect: [shifts(100), ...expect],
});

/**
 * The Podinfo example's deployments (issue #12): a metric-triggered rollback of the frontend's
 * canary, and the backend's blue/green (all at once, then a post-traffic hook) that passes or
 * rolls back at once.
 */
export const podinfoScenarios: readonly Scenario[] = [
  {
    name: "podinfo-metric-rollback",
    summary:
      "examples/podinfo: frontend canary at 10% → its 5xx alarm goes to ALARM → alias back on the stable version at once, the 50% step never taken",
    example: "podinfo",
    world: PODINFO,
    steps: [
      push("frontend"),
      // Lambda applies the new code for a few seconds of virtual time before the first shift.
      advance(60),
      say(routing(FRONTEND)),
      alarm(
        "PodinfoFrontend5xx",
        "ALARM",
        "Threshold Crossed: 1 datapoint [4.2] was greater than the threshold (1.0)",
      ),
      say(routing(FRONTEND)),
      runOut(),
    ],
    expect: [
      aliasOn(FRONTEND, "1", "the 5xx alarm should put the frontend back on version 1"),
      outcomes("rolled-back"),
      shifts(10),
      auditSaid("rolled-back", "PodinfoFrontend5xx", "the rollback should name the alarm that fired"),
    ],
  },
  blueGreen("podinfo-blue-green", "Succeeded", {
    summary:
      "examples/podinfo: backend blue/green: 100% moves to the new version at once → the post-traffic smoke test passes → deployed",
    expect: [
      aliasOn(BACKEND, "2"),
      outcomes("deployed"),
      auditCount("hook-started", 1, "the post-traffic hook runs once"),
    ],
  }),
  blueGreen("podinfo-blue-green-instant-rollback", "Failed", {
    summary:
      "examples/podinfo: backend blue/green: 100% on the new version → the post-traffic smoke test reports Failed → 100% back on the old version in one alias update",
    expect: [
      aliasOn(BACKEND, "1", "the failed smoke test should put the backend back on version 1"),
      outcomes("rolled-back"),
      auditSaid(
        "rolled-back",
        "AfterAllowTraffic hook lambda podinfo-smoke-test reported Failed",
        "the rollback should name the hook that failed",
      ),
    ],
  }),
];
