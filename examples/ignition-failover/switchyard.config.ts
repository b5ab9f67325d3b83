import { defineConfig } from "../../packages/core/src/config/index.ts";

// The Ignition case: the API runs in us-east-1 with a warm standby in us-west-2. When the Route 53
// health check on the primary endpoint fails, its CloudWatch alarm starts the runbook; an on-call
// engineer approves; the workflow promotes the read replica, scales the standby (Lambda provisioned
// concurrency and the ECS web service), points the application at the new database, switches DNS,
// verifies the health check, notifies and reports RTO/RPO. Names below are the example's own.
export default defineConfig({
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:ignition-oncall" },
  failover: {
    runbooks: [
      {
        name: "ignition",
        primaryRegion: "us-east-1",
        secondaryRegion: "us-west-2",
        database: { replica: "ignition-db-usw2" },
        compute: {
          lambda: { function: "ignition-api", alias: "live", provisionedConcurrency: 50 },
          ecs: { cluster: "ignition-usw2", service: "web", desiredCount: 6 },
        },
        configuration: {
          parameter: "/ignition/database-host",
          value: "ignition-db-usw2.c9akciq32.us-west-2.rds.amazonaws.com",
        },
        dns: {
          hostedZoneId: "Z1D633PJN98FT9",
          name: "api.ignition.example.com",
          type: "CNAME",
          ttl: 60,
          value: "api.us-west-2.ignition.example.com",
        },
        verify: { healthCheckId: "abcdef11-2222-3333-4444-555555fedcba" },
        triggers: { alarms: ["ignition-primary-health"], health: false },
        approval: { timeout: "30m" },
        // Restore and fail back: a new replica in us-east-1, promoted once in sync; DNS and
        // configuration back to us-east-1.
        failback: {
          replica: "ignition-db-use1",
          configurationValue: "ignition-db-use1.c9akciq32.us-east-1.rds.amazonaws.com",
          dnsValue: "api.us-east-1.ignition.example.com",
        },
        rto: "15m",
        rpo: "15m",
        cooldown: "1h",
      },
    ],
  },
});
