import { defineConfig } from "../../packages/core/src/config/index.ts";

// The Ignition case: one DIMENSIONAL Cost Anomaly Detection monitor on the SERVICE dimension
// flags Amazon ECS, Amazon RDS and Amazon ElastiCache. Each service has its rule; tiers go
// from a notice to actions that a human must approve. Resources tagged environment=production
// (or switchyard:protected) are never touched, whatever a rule says. ElastiCache has no stop
// API (a cluster can only be deleted or scaled down), so its rule only notifies.
const monitor = "arn:aws:ce::123456789012:anomalymonitor/9c2a7e3d-1b4f-4e5a-8d6c-0f1e2d3c4b5a";
/** What the stop actions may select: the non-production side. */
const nonProduction = { environment: ["dev", "staging"] };

export default defineConfig({
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
  safety: { actionLimit: { max: 10, window: "1h" } },
  cost: {
    approvalTimeout: "2h",
    ttl: "12h",
    rules: [
      {
        name: "ignition-ecs",
        match: { services: ["Amazon Elastic Container Service"], monitors: [monitor] },
        tiers: [
          { name: "notice", minImpact: 50, minPercent: 20, actions: [{ type: "notify" }] },
          {
            name: "act",
            minImpact: 300,
            minPercent: 50,
            // The dispatcher starts the ECS tasks: capping it stops new work, not running work.
            actions: [
              { type: "notify" },
              { type: "cap-lambda-concurrency", functions: ["ignition-dispatcher"], concurrency: 1 },
            ],
          },
          {
            name: "critical",
            minImpact: 1500,
            minPercent: 100,
            // Scaling services to 0 is destructive: it waits for `switchyard approve`.
            actions: [
              { type: "notify" },
              { type: "scale-ecs-services-to-zero", clusters: ["ignition"], select: nonProduction },
            ],
          },
        ],
      },
      {
        name: "ignition-rds",
        match: { services: ["Amazon Relational Database Service"], monitors: [monitor] },
        tiers: [
          { name: "notice", minImpact: 50, actions: [{ type: "notify" }] },
          {
            name: "critical",
            minImpact: 1000,
            minPercent: 100,
            // Disabling schedules is destructive: it waits for `switchyard approve`.
            actions: [
              { type: "notify" },
              { type: "disable-schedules", rules: ["ignition-etl-nightly", "ignition-prod-backup"] },
              { type: "stop-rds-instances", select: nonProduction },
            ],
          },
        ],
      },
      {
        name: "ignition-elasticache",
        match: { services: ["Amazon ElastiCache"], monitors: [monitor] },
        tiers: [{ name: "notice", minImpact: 25, actions: [{ type: "notify" }] }],
      },
    ],
  },
});
