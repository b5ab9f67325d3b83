import { DescribeSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { answerApproval } from "../packages/core/src/failover/approval.ts";
import { startFailback } from "../packages/core/src/failover/operator.ts";
import { functions, stateMachines } from "../packages/core/src/wiring.ts";
import type { Role } from "../packages/sim/src/index.ts";
import { runbookConfig, secondaryEndpoint, seedRegions } from "./support/failover.ts";
import { startGithubApi } from "./support/github-api.ts";
import { busEvent } from "./support/scenario.ts";
import { podinfoLeakable } from "./support/secrets.ts";

const START = Date.parse("2019-11-16T01:54:34Z");
// Invented: a GitHub token and a secret value; no public samples of these exist.
const GITHUB_TOKEN = "ghp_localtesttoken000000000000000000000";
const LEAKED = JSON.stringify({ apiKey: "leaked-key-000000000000000000000000000000" });
const STEPS = `${LOCAL_NAMES.functionPrefix}secret-leak-steps`;

/** Every role the control plane enforces, with `action` taken out of `principal`'s policy. */
function without(p: ControlPlane, principal: string, action: string): Map<string, Role> {
  const principals = [
    ...functions.map((f) => `${LOCAL_NAMES.functionPrefix}${f.name}`),
    ...stateMachines.map((m) => `states:${LOCAL_NAMES.functionPrefix}${m.name}`),
  ];
  const roles = new Map<string, Role>();
  for (const name of principals) {
    const role = p.account.roleOf(name);
    if (!role) throw new Error(`no role for ${name}`);
    roles.set(
      name,
      name !== principal
        ? role
        : {
            ...role,
            statements: role.statements.map((s) => ({
              ...s,
              actions: s.actions.filter((a) => a !== action),
            })),
          },
    );
  }
  return roles;
}

describe("IAM enforced end to end", () => {
  let github: Awaited<ReturnType<typeof startGithubApi>>;
  beforeAll(async () => {
    github = await startGithubApi({ token: GITHUB_TOKEN, alerts: ["Codertocat/Hello-World#191"] });
  });
  afterAll(async () => {
    await github?.close();
  });

  const leakPlane = () =>
    startControlPlane(
      parseConfig({
        secrets: [podinfoLeakable],
        secretScanning: { tokenSecret: "switchyard/github-token", apiUrl: github.url },
      }),
      { start: START, secretValues: { "prod/podinfo/api": LEAKED, "switchyard/github-token": GITHUB_TOKEN } },
    );

  it("grants secret-leak-steps lambda:InvokeFunction on the rotation function, which RotateSecret needs", async () => {
    const p = await leakPlane();
    try {
      const statements = p.account.roleOf(STEPS)?.statements ?? [];
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ["lambda:InvokeFunction"],
          resources: [p.account.lambda.functionArn(`${LOCAL_NAMES.functionPrefix}rotate`)],
        }),
      );

      await p.deliver(busEvent("github/secret-scanning-alert-created.json"));
      await p.runOut();

      expect(p.account.callsOf({ principal: STEPS, action: "RotateSecret" })).toEqual([
        expect.not.objectContaining({ error: expect.anything() }),
      ]);
      expect(p.account.secrets.rotations).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it("fails rotate-on-leak with AccessDeniedException when secret-leak-steps lacks lambda:InvokeFunction", async () => {
    const p = await leakPlane();
    try {
      p.account.enforce(without(p, STEPS, "lambda:InvokeFunction"));

      await p.deliver(busEvent("github/secret-scanning-alert-created.json"));
      await p.runOut();

      const [rotate] = p.account.callsOf({ principal: STEPS, action: "RotateSecret" });
      expect(rotate?.error).toBe("AccessDeniedException");
      const [execution] = p.account.sfn.executions();
      expect(execution?.status).not.toBe("SUCCEEDED");
      expect(JSON.stringify(execution?.history)).toContain(
        `User: arn:aws:sts::123456789012:assumed-role/${STEPS}-role/${STEPS} is not authorized to perform: ` +
          `lambda:InvokeFunction on resource: ${p.account.lambda.functionArn(`${LOCAL_NAMES.functionPrefix}rotate`)} ` +
          "because no identity-based policy allows the lambda:InvokeFunction action",
      );
      // Secrets Manager never started the rotation: the leaked value is still the current one.
      expect(p.account.secrets.rotations).toEqual([]);
      const current = await p.clients.secrets.send(
        new GetSecretValueCommand({ SecretId: "prod/podinfo/api" }),
      );
      expect(current.SecretString).toBe(LEAKED);
      const described = await p.clients.secrets.send(
        new DescribeSecretCommand({ SecretId: "prod/podinfo/api" }),
      );
      expect(Object.values(described.VersionIdsToStages ?? {}).flat()).not.toContain("AWSPENDING");
    } finally {
      await p.close();
    }
  });

  it("authorizes the failback's cross-region work: the replica is read and created in the old primary region by the steps function's regional clients", async () => {
    const endpoint = await secondaryEndpoint();
    const p = await startControlPlane(runbookConfig(endpoint.url), { start: START });
    try {
      seedRegions(p);
      p.account.cloudwatch.observeState("ignition-primary-health", "ALARM");
      await p.deliver(busEvent("aws/health/route53-health-check-alarm.json"));
      await answerApproval(p.context, "ignition", { approve: true, by: "iam-test" });
      await p.runOut();
      await startFailback(p.context, p.config, {
        runbook: "ignition",
        stateMachineArn: p.context.failbackStateMachineArn,
        dryRun: false,
        by: "iam-test",
      });
      await p.runOut();

      // With IAM enforced, nothing the failback's roles send is denied (before the regional
      // clients, its SDK integrations read ap-southeast-2's replica from us-east-1 and were).
      expect(p.account.calls.filter((c) => c.error === "AccessDeniedException")).toEqual([]);
      const created = p.account.callsOf({ action: "CreateDBInstanceReadReplica" });
      expect(created).toHaveLength(1);
      expect(created[0]?.principal).toBe(`${LOCAL_NAMES.functionPrefix}failover-steps`);
    } finally {
      await p.close();
      endpoint.server.close();
    }
  });
});
