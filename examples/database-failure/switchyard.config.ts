import { defineConfig } from "../../packages/core/src/config/index.ts";

// The database-failure case: the primary PostgreSQL instance in us-east-1 is lost. The runbook
// activates the replica in us-east-2, points the application at it and verifies, within RTO 15 min
// and RPO 15 min. Auto-approval is on: it applies only when two independent signals agree — the
// database health alarm in ALARM and an open AWS Health issue for us-east-1.
export default defineConfig({
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:db-oncall" },
  failover: {
    runbooks: [
      {
        name: "orders-db",
        primaryRegion: "us-east-1",
        secondaryRegion: "us-east-2",
        database: { replica: "orders-db-use2" },
        configuration: {
          parameter: "/orders/database-host",
          value: "orders-db-use2.c9akciq32.us-east-2.rds.amazonaws.com",
        },
        verify: { healthCheckId: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" },
        triggers: { alarms: ["orders-db-health"], health: true },
        approval: { timeout: "15m", autoApprove: true },
        rto: "15m",
        rpo: "15m",
        cooldown: "2h",
      },
    ],
  },
});
