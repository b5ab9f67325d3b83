import { defineConfig } from "../../packages/core/src/config/index.ts";

// An Aurora PostgreSQL global database, writer in eu-west-1, secondary cluster in eu-central-1.
// A health-check alarm means the primary is impaired: the runbook fails over (FailoverGlobalCluster,
// data loss allowed up to the replication lag). A start by hand (`switchyard failover start
// payments`) means the primary is healthy: a planned switchover (SwitchoverGlobalCluster), no data
// loss. Failback is a planned switchover back to the eu-west-1 cluster.
// The stack runs in a third Region (the default, us-east-1), so the on-call topic is there too: SNS
// takes a Publish only in the topic's own Region, and a topic in eu-west-1 is refused at load.
export default defineConfig({
  notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:payments-oncall" },
  failover: {
    runbooks: [
      {
        name: "payments",
        primaryRegion: "eu-west-1",
        secondaryRegion: "eu-central-1",
        database: {
          kind: "aurora-global",
          globalClusterIdentifier: "payments-global",
          primaryCluster: "payments-euw1",
          secondaryCluster: "payments-euc1",
        },
        configuration: {
          parameter: "/payments/database-host",
          value: "payments-euc1.cluster-c9akciq32.eu-central-1.rds.amazonaws.com",
        },
        triggers: { alarms: ["payments-primary-health"], health: false },
        approval: { timeout: "15m" },
        rto: "15m",
        rpo: "1m",
        failback: {
          configurationValue: "payments-euw1.cluster-c9akciq32.eu-west-1.rds.amazonaws.com",
        },
      },
    ],
  },
});
