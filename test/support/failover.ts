import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach } from "vitest";
import { type ControlPlane, startControlPlane } from "../../packages/cli/src/local/control-plane.ts";
import { parseConfig } from "../../packages/core/src/config/index.ts";
import { answerApproval } from "../../packages/core/src/failover/approval.ts";
import { startFailback, startFailover } from "../../packages/core/src/failover/operator.ts";
import type { CallRecord } from "../../packages/sim/src/index.ts";

export const ZONE = "Z1D633PJN98FT9";
export const HEALTH_CHECK = "abcdef11-2222-3333-4444-555555fedcba";
export const TOPIC = "arn:aws:sns:us-east-1:123456789012:switchyard-notifications";
/** The alarm fixture's time, so RTO counts from the alarm; the clock starts a second later. */
export const START = Date.parse("2019-10-02T17:04:41Z");

/** The writes a failover makes to the world, as `service:Action`. */
export const WRITES = [
  "rds:PromoteReadReplica",
  "lambda:PutProvisionedConcurrencyConfig",
  "ecs:UpdateService",
  "autoscaling:UpdateAutoScalingGroup",
  "ssm:PutParameter",
  "route53:ChangeResourceRecordSets",
] as const;

/** A local HTTP server standing in for the service in the secondary region. */
export async function secondaryEndpoint(
  status = 200,
): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "down");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/health`, server, hits: () => hits };
}

/** A control plane for the support runbook, its secondary endpoint serving; `close` ends both. */
export async function runbookPlane(
  change: (runbook: Record<string, unknown>) => void = () => undefined,
): Promise<{ plane: ControlPlane; close(): Promise<void> }> {
  const endpoint = await secondaryEndpoint();
  const plane = await startControlPlane(runbookConfig(endpoint.url, change), { start: START });
  return {
    plane,
    async close() {
      await plane.close();
      endpoint.server.close();
    },
  };
}

/** The Ignition-style runbook: every part configured. */
export function runbookConfig(
  url: string,
  change: (runbook: Record<string, unknown>) => void = () => undefined,
) {
  const runbook: Record<string, unknown> = {
    name: "ignition",
    primaryRegion: "ap-southeast-2",
    secondaryRegion: "us-west-2",
    database: { replica: "ignition-db-usw2" },
    compute: {
      lambda: { function: "ignition-api-usw2", alias: "live", provisionedConcurrency: 50 },
      ecs: { cluster: "ignition-usw2", service: "web", desiredCount: 6 },
      autoScaling: { group: "ignition-workers-usw2", desiredCapacity: 4 },
    },
    configuration: {
      parameter: "/ignition/database-host",
      value: "ignition-db-usw2.c9akciq32.us-west-2.rds.amazonaws.com",
    },
    dns: {
      hostedZoneId: ZONE,
      name: "api.ignition.example.com",
      type: "CNAME",
      ttl: 60,
      value: "api.us-west-2.ignition.example.com",
    },
    verify: { healthCheckId: HEALTH_CHECK, url },
    triggers: { alarms: ["ignition-primary-health"], health: false },
    approval: { timeout: "30m" },
    rto: "15m",
    rpo: "15m",
    cooldown: "1h",
    failback: {
      replica: "ignition-db-apse2-new",
      configurationValue: "ignition-db-apse2-new.c9akciq32.ap-southeast-2.rds.amazonaws.com",
      dnsValue: "api.ap-southeast-2.ignition.example.com",
    },
  };
  change(runbook);
  return parseConfig({
    notifications: { topicArn: TOPIC },
    // AWS documents the ARC zonal shift samples in account 111122223333: this config acts for it too.
    provenance: { accounts: ["111122223333"] },
    failover: { runbooks: [runbook] },
  });
}

/**
 * Turns the runbook's database into an Aurora global database (the control plane seeds it: the
 * writer in ap-southeast-2, the secondary in us-west-2 800 ms behind); failback needs no replica.
 */
export function auroraGlobal(runbook: Record<string, unknown>): void {
  runbook.database = {
    kind: "aurora-global",
    globalClusterIdentifier: "ignition-global",
    primaryCluster: "ignition-apse2",
    secondaryCluster: "ignition-usw2",
  };
  runbook.failback = {
    configurationValue: "ignition-apse2.cluster-c9akciq32.ap-southeast-2.rds.amazonaws.com",
    dnsValue: "api.ap-southeast-2.ignition.example.com",
  };
}

/** The two regions as they are before the failover: primary in ap-southeast-2, standby in us-west-2. */
export function seedRegions(
  plane: ControlPlane,
  options: { lagSeconds?: number; encrypted?: boolean } = {},
): void {
  const { account } = plane;
  // An encrypted database: each region's copy under a key of its own region (KMS keys are regional).
  const key = (region: string) =>
    options.encrypted ? { kmsKeyId: `arn:aws:kms:${region}:123456789012:key/ignition-db` } : {};
  account.rds.seedInstance({ id: "ignition-db-apse2", region: "ap-southeast-2", ...key("ap-southeast-2") });
  account.rds.seedInstance({
    id: "ignition-db-usw2",
    region: "us-west-2",
    source: "arn:aws:rds:ap-southeast-2:123456789012:db:ignition-db-apse2",
    lagSeconds: options.lagSeconds ?? 4,
    ...key("us-west-2"),
  });
  account.lambda.seedFunction({
    name: "ignition-api-usw2",
    alias: "live",
    aliasVersion: "1",
    region: "us-west-2",
  });
  account.ecs.seedService({ cluster: "ignition-usw2", service: "web", region: "us-west-2", desired: 1 });
  account.autoscaling.seedGroup({
    name: "ignition-workers-usw2",
    region: "us-west-2",
    min: 0,
    max: 8,
    desired: 0,
  });
  account.ssm.seedParameter(
    "/ignition/database-host",
    "ignition-db-apse2.c9akciq32.ap-southeast-2.rds.amazonaws.com",
    "us-west-2",
  );
  account.route53.seedZone(ZONE, "ignition.example.com", [
    {
      Name: "api.ignition.example.com",
      Type: "CNAME",
      TTL: 60,
      ResourceRecords: [{ Value: "api.ap-southeast-2.ignition.example.com" }],
    },
  ]);
  account.route53.seedHealthCheck(HEALTH_CHECK, true);
}

/** The successful writes among `calls`, as `service:Action`. */
export function writesIn(calls: readonly CallRecord[]): string[] {
  return calls
    .filter((c) => !c.error && (WRITES as readonly string[]).includes(`${c.service}:${c.action}`))
    .map((c) => `${c.service}:${c.action}`);
}

/**
 * `setUp(change?, options?)` for a test file: a control plane on the runbook (changed by
 * `change`) whose regions are seeded (`options`), its clock at START, the secondary's endpoint
 * answering 200. It registers an afterEach hook that closes what the test started, so call it
 * at the top of a file.
 */
export function runbookSetUp() {
  const started: { plane: ControlPlane; server: Server }[] = [];
  afterEach(async () => {
    for (const { plane, server } of started.splice(0)) {
      await plane.close();
      server.close();
    }
  });
  return async (
    change: (runbook: Record<string, unknown>) => void = () => undefined,
    options: { lagSeconds?: number; encrypted?: boolean } = {},
  ): Promise<ControlPlane> => {
    const endpoint = await secondaryEndpoint();
    const plane = await startControlPlane(runbookConfig(endpoint.url, change), { start: START });
    started.push({ plane, server: endpoint.server });
    seedRegions(plane, options);
    return plane;
  };
}

/** A person starts the ignition runbook's `which` by hand (not a dry run), on the control plane's state machine. */
export const startByHand = (p: ControlPlane, which: "failover" | "failback", by = "oncall@example.com") =>
  (which === "failover" ? startFailover : startFailback)(p.context, p.config, {
    runbook: "ignition",
    stateMachineArn:
      which === "failover" ? p.context.failoverStateMachineArn : p.context.failbackStateMachineArn,
    dryRun: false,
    by,
  });

/** A person approves the ignition runbook's waiting run, which then runs to its end. */
export async function approveAndRunOut(p: ControlPlane, by = "oncall@example.com"): Promise<void> {
  await answerApproval(p.context, "ignition", { approve: true, by });
  await p.runOut();
}

/** A person starts `which` by hand; it runs to its approval, is approved and runs to its end. */
export async function runByHand(p: ControlPlane, which: "failover" | "failback", by = "oncall@example.com") {
  const started = await startByHand(p, which, by);
  await p.runOut();
  await approveAndRunOut(p, by);
  return started;
}

/** Someone starts `execution`'s state machine again from the console, with its input, as `name`. */
export const startAgainFromConsole = (
  p: ControlPlane,
  execution: { stateMachineArn: string; input: string },
  name: string,
) =>
  p.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: execution.stateMachineArn,
      name,
      input: execution.input,
    }),
  );
