import { defineConfig } from "./packages/core/src/config/index.ts";

// The example control plane `npm start` runs. Defaults not written here (regions, alarm holds,
// action limits) come from packages/core/src/config/schema.ts.
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
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
  safety: { paused: false, dryRun: false, actionLimit: { max: 20, window: "1h" } },
});
