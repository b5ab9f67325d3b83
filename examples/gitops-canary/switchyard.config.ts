import { defineConfig } from "../../packages/core/src/config/index.ts";

/**
 * The CI/CD GitOps seed's canary: a release of `orders` (an HTTP API on Lambda behind the `live`
 * alias) shifts 10 → 25 → 50 → 75 → 100 with five minutes of bake at each step, guarded by an
 * error-rate alarm and a p99-latency alarm (auto-rollback within seconds of either going to
 * ALARM), started by GitHub releases and by ECR pushes of `:main`. Every step is notified to the
 * SNS topic (and a Slack webhook, see below) with a timeline, and the GitHub deployment gets its
 * statuses (in_progress, success or failure, inactive when superseded) and a commit status.
 * Operators can pause, resume, abort or retry one rollout, and break-glass a hotfix
 * (docs/decisions/0029-operator-control-break-glass-github-statuses-notifications.md).
 */
export default defineConfig({
  name: "gitops-canary",
  deployments: [
    {
      name: "orders",
      function: "orders-api",
      alias: "live",
      image: { repository: "orders-api", tag: "main" },
      github: {
        repository: "acme/orders-api",
        on: ["release"],
        statuses: {
          tokenSecret: "gitops-canary/github-token",
          logUrl:
            "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:123456789012:execution:gitops-canary-deploy:{execution}",
          environment: "production",
        },
      },
      strategy: {
        steps: [
          { weight: 10, pause: "5m" },
          { weight: 25, pause: "5m" },
          { weight: 50, pause: "5m" },
          { weight: 75, pause: "5m" },
          { weight: 100 },
        ],
      },
      alarms: ["OrdersErrorRate", "OrdersLatencyP99"],
      gates: { scan: { threshold: "HIGH", timeout: "15m" } },
      // Analysis of the new version before each step after the first (ADR 0026): its own error
      // rate and p99 duration over the last 5 minutes, read with one GetMetricData call; a failed
      // check holds the step, the second one rolls back.
      analysis: {
        metrics: [
          { name: "error-rate", kind: "errorRate", max: 0.02 },
          { name: "p99-duration", kind: "p99Duration", max: 800 },
        ],
        failureLimit: 2,
        window: "5m",
      },
      // An alarm on the new version's own Errors, created with its first shift and deleted when
      // the deployment ends: its ALARM rolls back within seconds, like the guarding alarms.
      versionAlarms: [{ name: "errors", metric: "Errors", statistic: "Sum", threshold: 25, period: "1m" }],
      // The seed's error budget (ADR 0028): 99.5% of invocations through the alias succeed over a day;
      // two burn-rate alarms roll back and freeze at 95% of the budget, and freeze at 80%.
      slo: { objective: 99.5, window: "1d" },
      // The team's Slack-compatible incoming webhook gets every notice too (left out here so the
      // scenario, which runs offline, calls nothing outside this machine):
      // notify: { webhookUrl: "https://hooks.slack.com/services/…" },
    },
  ],
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:gitops-canary-deploys" },
});
