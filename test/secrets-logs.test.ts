import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { CallRecord, SimulatedAccount } from "../packages/sim/src/index.ts";
import { podinfoLeakable } from "./support/secrets.ts";

// Every log line the rotation code can write: logs on at DEBUG, through the global console and
// stdout/stderr. Set before the modules that read it load.
process.env.POWERTOOLS_DEV = "true";
process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
const { rotationWorld } = await import("./support/rotation.ts");
const { startPostgres } = await import("./support/postgres.ts");
const { startFunctionUrl, startGithubApi } = await import("./support/github-api.ts");
const { startControlPlane } = await import("../packages/cli/src/local/control-plane.ts");
const { example } = await import("./support/scenario.ts");
const { fixture, present } = await import("./support/scenario.ts");
const { parseConfig } = await import("../packages/core/src/config/index.ts");
const { replay } = await import("../packages/cli/src/replay.ts");
const { invokeFunction } = await import("../packages/cli/src/invoke.ts");
const { recoverStuck, secretStatuses } = await import("../packages/core/src/secrets/stuck.ts");
const { pgClient } = await import("../packages/core/src/secrets/sql.ts");

/** The secret strings a run generated: every value Secrets Manager was given, and each credential field in it. */
function generatedSecrets(calls: readonly CallRecord[]): string[] {
  const out = new Set<string>();
  for (const call of calls) {
    if (call.action !== "PutSecretValue") continue;
    const value = String((call.input as { SecretString?: unknown }).SecretString ?? "");
    out.add(value);
    try {
      const json = JSON.parse(value) as Record<string, unknown>;
      for (const key of ["apiKey", "password"]) if (typeof json[key] === "string") out.add(json[key]);
    } catch {
      // A plain-string secret is the value itself, added above.
    }
  }
  return [...out].filter((v) => v.length >= 12);
}

describe("no secret value reaches a log line or a report", () => {
  const captured: string[] = [];
  const reports: unknown[] = [];
  const secrets: string[] = [];
  const harvest = (account: SimulatedAccount) => {
    secrets.push(...generatedSecrets(account.calls));
    reports.push(
      account.sns.published(),
      account.sfn.executions().map((e) => ({ history: e.history, output: e.output })),
    );
  };

  beforeAll(async () => {
    const write = (chunk: unknown) => {
      captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return true;
    };
    for (const level of ["log", "info", "warn", "error", "debug"] as const)
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        captured.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    vi.spyOn(process.stdout, "write").mockImplementation(write);
    vi.spyOn(process.stderr, "write").mockImplementation(write);

    const db = await startPostgres();
    const github = await startGithubApi({
      token: "ghp_logs_test_token_0000000000",
      alerts: ["Codertocat/Hello-World#191"],
      hooks: ["Codertocat/Hello-World#4"],
    });
    let plane: Awaited<ReturnType<typeof startControlPlane>> | undefined;
    const receiver = await startFunctionUrl(async (event) => {
      if (!plane) throw new Error("no control plane");
      return plane.account.lambda.invoke("switchyard-github-webhook", event, { principal: "function-url" });
    });
    try {
      // GitHub webhook secret: a rotation, a failure at finishSecret then a retry.
      plane = await startControlPlane(
        example((raw) => ({
          ...raw,
          secrets: [
            {
              name: "github-webhook",
              secretId: "switchyard/github-webhook-secret",
              rotator: "github-webhook-secret",
              options: {
                owner: "Codertocat",
                repo: "Hello-World",
                hookId: 4,
                tokenSecret: "switchyard/github-token",
                apiUrl: github.url,
                receiverUrl: receiver.url,
              },
            },
          ],
        })),
        {
          webhookSecret: "logs-test-initial-webhook-secret-000",
          secretValues: { "switchyard/github-token": "ghp_logs_test_token_0000000000" },
        },
      );
      try {
        const { RotateSecretCommand } = await import("@aws-sdk/client-secrets-manager");
        const rotate = (token: string) =>
          plane?.clients.secrets.send(
            new RotateSecretCommand({
              SecretId: "switchyard/github-webhook-secret",
              ClientRequestToken: token,
            }),
          );
        reports.push(await rotate("30000000-0000-4000-8000-000000000011"));
        plane.account.injectFault({
          service: "secretsmanager",
          action: "UpdateSecretVersionStage",
          error: "InternalServiceError",
          times: 1,
        });
        reports.push(await rotate("30000000-0000-4000-8000-000000000012"));
        reports.push(await rotate("30000000-0000-4000-8000-000000000012"));
        reports.push(plane.account.secrets.rotations);
        harvest(plane.account);
      } finally {
        await plane.close();
      }
      // Random rotator: a clean rotation, a failure at every step then a retry, every step again.
      const steps = ["PutSecretValue", "UpdateSecretVersionStage"];
      for (const fault of [undefined, ...steps]) {
        const w = rotationWorld([
          { name: "api", secretId: "prod/api", rotator: "random", options: { field: "apiKey" } },
        ]);
        w.account.secrets.seedSecret("prod/api", JSON.stringify({ apiKey: "logs-test-initial-api-key-000" }));
        if (fault)
          w.account.injectFault({ service: "secretsmanager", action: fault, error: "InternalServiceError" });
        const token = "30000000-0000-4000-8000-000000000001";
        reports.push(await w.rotate("prod/api", token));
        reports.push(await w.rotate("prod/api", token).catch((e: Error) => e.message));
        for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret", "nope"])
          reports.push(await w.invoke({ Step, SecretId: "prod/api", ClientRequestToken: token }));
        reports.push(await secretStatuses(w, w.config.secrets), w.account.secrets.rotations);
        harvest(w.account);
      }
      // PostgreSQL rotators: single user (with a stuck rotation recovered) and alternating users.
      await db.sql(
        "CREATE ROLE logs_single LOGIN PASSWORD 'logs-single-initial'; CREATE ROLE logs_alt LOGIN PASSWORD 'logs-alt-initial'",
      );
      for (const [rotator, username] of [
        ["postgres-single-user", "logs_single"],
        ["postgres-alternating-users", "logs_alt"],
      ] as const) {
        const w = rotationWorld([
          {
            name: "db",
            secretId: "prod/db",
            rotator,
            options: {
              ssl: false,
              ...(rotator === "postgres-alternating-users" ? { masterSecret: "prod/master" } : {}),
            },
          },
        ]);
        w.account.secrets.seedSecret(
          "prod/db",
          JSON.stringify({
            engine: "postgres",
            host: db.host,
            port: db.port,
            username,
            password: `${username}-initial`.replace("_", "-"),
            dbname: "postgres",
          }),
        );
        w.account.secrets.seedSecret("prod/master", JSON.stringify(db.admin));
        w.account.injectFault({
          service: "secretsmanager",
          action: "UpdateSecretVersionStage",
          error: "InternalServiceError",
        });
        reports.push(await w.rotate("prod/db", "30000000-0000-4000-8000-000000000002"));
        reports.push(
          await recoverStuck(
            { clients: w.clients, sql: pgClient },
            present(w.config.secrets[0], "the configured secret"),
          ),
        );
        reports.push(
          await w.rotate("prod/db", "30000000-0000-4000-8000-000000000003"),
          w.account.secrets.rotations,
        );
        harvest(w.account);
      }
      // Rotate on leak through `switchyard replay`, and `switchyard invoke rotate`.
      const config = parseConfig({
        secrets: [podinfoLeakable],
        secretScanning: { tokenSecret: "switchyard/github-token", apiUrl: github.url },
        notifications: { topicArn: "arn:aws:sns:us-east-1:123456789012:switchyard-notifications" },
      });
      reports.push(
        await replay(config, [fixture("github/secret-scanning-alert-created.json")], {
          prepare: (plane) => {
            plane.account.secrets.seedSecret(
              "prod/podinfo/api",
              JSON.stringify({ apiKey: "logs-test-leaked-api-key-000" }),
            );
            plane.account.secrets.seedSecret("switchyard/github-token", "ghp_logs_test_token_0000000000");
            plane.account.secrets.configureRotation("prod/podinfo/api", {
              lambdaArn: plane.account.lambda.functionArn("switchyard-rotate"),
              scheduleExpression: "rate(7 days)",
            });
          },
          onEvent: (_report, plane) => {
            harvestLater.push(plane.account);
          },
        }),
      );
      reports.push(
        await invokeFunction(config, "rotate", {
          Step: "createSecret",
          SecretId: "prod/podinfo/api",
          ClientRequestToken: "30000000-0000-4000-8000-000000000004",
        }),
      );
    } finally {
      await receiver.close();
      await github.close();
      db.stop();
      vi.restoreAllMocks();
    }
  });
  const harvestLater: SimulatedAccount[] = [];
  afterAll(() => {
    captured.length = 0;
  });

  it("captured the rotations' logs and generated secrets to look for", () => {
    for (const account of harvestLater) harvest(account);
    expect(captured.some((line) => line.includes("rotation createSecret"))).toBe(true);
    expect(captured.some((line) => line.includes("rotate-on-leak record"))).toBe(true);
    expect(secrets.length).toBeGreaterThan(15);
  });

  it("finds none of the generated secret values in any log line or report", () => {
    const text = [...captured, JSON.stringify(reports)].join("\n");
    expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);
  });
});
