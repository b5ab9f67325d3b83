import { defineConfig } from "./packages/core/src/config/index.ts";

// The example control plane `npm start` runs. Defaults not written here come from
// packages/core/src/config/schema.ts (region, action limits) and each reaction's config.ts
// (alarm holds: packages/core/src/deployments/config.ts).
export default defineConfig({
  deployments: [
    {
      name: "api",
      function: "api-handler",
      alias: "live",
      image: { repository: "my-repository-name", tag: "latest" },
      strategy: "Canary10Percent5Minutes",
      alarms: ["ServerCpuTooHigh"],
      gates: { scan: { threshold: "HIGH" } },
    },
    {
      name: "worker",
      function: "queue-worker",
      alias: "live",
      image: { repository: "queue-worker", tag: "stable" },
      strategy: {
        steps: [
          { weight: 10, pause: "1m" },
          { weight: 25, pause: "1m" },
          { weight: 50, pause: "1m" },
          { weight: 75, pause: "1m" },
          { weight: 100 },
        ],
      },
      alarms: ["WorkerErrors", "WorkerDLQDepth"],
    },
  ],
  failover: {
    runbooks: [
      {
        // The Ignition case (examples/ignition-failover): us-east-1 → us-west-2, started by the
        // Route 53 health-check alarm, approved by a human.
        name: "ignition",
        primaryRegion: "us-east-1",
        secondaryRegion: "us-west-2",
        database: { replica: "ignition-db-usw2" },
        compute: { lambda: { function: "ignition-api", alias: "live", provisionedConcurrency: 50 } },
        configuration: {
          parameter: "/ignition/database-host",
          value: "ignition-db-usw2.c9akciq32.us-west-2.rds.amazonaws.com",
        },
        dns: {
          hostedZoneId: "Z1D633PJN98FT9",
          name: "api.ignition.example.com",
          type: "CNAME",
          value: "api.us-west-2.ignition.example.com",
        },
        verify: { healthCheckId: "abcdef11-2222-3333-4444-555555fedcba" },
        triggers: { alarms: ["ignition-primary-health"] },
      },
    ],
  },
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
  safety: { paused: false, dryRun: false, actionLimit: { max: 20, window: "1h" } },
});
