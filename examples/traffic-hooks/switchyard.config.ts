import { defineConfig } from "../../packages/core/src/config/index.ts";

/**
 * Traffic hooks and an approval gate (issue #12): the API's canary runs a smoke test against the
 * new version before any traffic reaches it (CodeDeploy's BeforeAllowTraffic), waits for a human
 * before it goes from 10% to 100%, and checks the new version once it serves everything
 * (AfterAllowTraffic). A failed hook or a denial puts the alias back on the stable version.
 */
export default defineConfig({
  name: "traffic-hooks",
  deployments: [
    {
      name: "api",
      function: "api-handler",
      alias: "live",
      image: { repository: "my-repository-name", tag: "latest" },
      strategy: "Canary10Percent5Minutes",
      alarms: ["ServerCpuTooHigh"],
      hooks: {
        beforeAllowTraffic: [{ lambda: { function: "api-smoke-test", timeout: "5m" } }],
        afterAllowTraffic: [{ lambda: { function: "api-post-traffic-check", timeout: "5m" } }],
      },
      approvals: [{ beforeStep: 2, timeout: "4h", onTimeout: "rollback" }],
    },
  ],
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
});
