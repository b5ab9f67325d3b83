import { DeploymentSchema } from "@switchyard/core/deployments/config";
import { budgetAlarmName } from "@switchyard/core/deployments/slo";
import {
  alarm,
  aliasOn,
  auditSaid,
  executions,
  operate,
  outcomes,
  push,
  runOut,
  type Scenario,
  say,
  scan,
} from "./vocabulary.ts";

const ORDERS = "orders-api:live";
const WORKER = "queue-worker:live";
const WORKER_PROD = "queue-worker-prod:live";

/** A production worker that deploys only the digests the example's worker (staging) passed. */
export const WORKER_PRODUCTION = {
  name: "worker-prod",
  function: "queue-worker-prod",
  alias: "live",
  image: { repository: "queue-worker", tag: "prod" },
  strategy: "AllAtOnce",
  promoteFrom: "worker",
} as const;

const withProduction: Scenario["configure"] = (config) => ({
  ...config,
  deployments: [...config.deployments, DeploymentSchema.parse(WORKER_PRODUCTION)],
});

/**
 * Scenarios of error budgets and promotion between environments (issue #12, ADR 0028).
 */
export const budgetScenarios: readonly Scenario[] = [
  {
    name: "error-budget-exhausted-rollback-and-freeze",
    summary:
      "examples/gitops-canary: orders reaches 100% → its SLO's burn-rate alarm reports 95% of the error budget consumed → emergency rollback to version 1 and a deploy freeze → the next push is refused → `unfreeze orders` → the push after deploys",
    example: "gitops-canary",
    steps: [
      push("orders"),
      scan("orders"),
      runOut(),
      say((p) => `orders serves ${JSON.stringify(p.aliases()[ORDERS])} at 100%`),
      alarm(
        budgetAlarmName("orders", "exhausted"),
        "ALARM",
        "Threshold Crossed: 12 out of the last 12 datapoints were greater than or equal to the threshold (95.0)",
      ),
      say((p) => `after the budget alarm orders serves ${JSON.stringify(p.aliases()[ORDERS])}`),
      alarm(budgetAlarmName("orders", "exhausted"), "OK", "Threshold Crossed: the burn stopped"),
      push("orders"),
      scan("orders"),
      runOut(),
      say((p) => `while frozen, orders still serves ${JSON.stringify(p.aliases()[ORDERS])}`),
      operate({ verb: "unfreeze", deployment: "orders", reason: "INC-7: bad dependency reverted" }),
      push("orders"),
      scan("orders"),
      runOut(),
    ],
    expect: [
      aliasOn(
        ORDERS,
        "3",
        "the push after the freeze was lifted should deploy (the frozen one published no version)",
      ),
      outcomes("deployed", "abandoned", "deployed"),
      auditSaid("budget-exhausted", "95% of the error budget consumed", "the burn should be audited"),
      auditSaid("abandoned", "deploys frozen", "the push while frozen should be refused, saying why"),
      auditSaid("unfrozen", "INC-7", "lifting the freeze should be audited with the reason"),
    ],
  },
  {
    name: "staging-to-production-promotion",
    summary:
      "worker (staging) deploys a push 10→25→50→75→100 → worker-prod, which promotes from it, deploys the same digest at once",
    configure: withProduction,
    steps: [
      push("worker"),
      runOut(),
      say(
        (p) =>
          `staging ${JSON.stringify(p.aliases()[WORKER])}, production ${JSON.stringify(p.aliases()[WORKER_PROD])}`,
      ),
    ],
    expect: [
      aliasOn(WORKER, "2"),
      aliasOn(WORKER_PROD, "2", "production should serve the digest staging passed"),
      outcomes("deployed", "deployed"),
      auditSaid("started", "promotion of sha256:", "the production start should name the promotion"),
    ],
  },
  {
    name: "unpromoted-digest-refused",
    summary:
      "a digest pushed straight to worker-prod's tag, and deployed by hand, is refused and audited: it never passed staging",
    configure: withProduction,
    steps: [
      operate({ verb: "deploy", deployment: "worker-prod", tag: "prod", reason: "hotfix" }, "prod"),
      runOut(),
    ],
    expect: [
      aliasOn(WORKER_PROD, "1", "production should keep serving version 1"),
      executions(0, "no deployment should start"),
      auditSaid("refused", "did not pass worker", "the refusal should be audited with the fix"),
    ],
  },
];
