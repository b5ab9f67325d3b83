import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { startGithubApi } from "./support/github-api.ts";
import { it as planeIt } from "./support/plane.ts";
import { type LocalPostgres, startPostgres } from "./support/postgres.ts";
import { busEvent } from "./support/scenario.ts";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:switchyard-notifications";
// Invented: a GitHub token and secret values; no public samples of these exist.
const GITHUB_TOKEN = "ghp_localtesttoken000000000000000000000";
const API_SECRET = JSON.stringify({ apiKey: "leaked-key-000000000000000000000000000000", owner: "podinfo" });
const created = () => busEvent("github/secret-scanning-alert-created.json");
const publiclyLeaked = () => busEvent("github/secret-scanning-alert-publicly-leaked.json");

let github: Awaited<ReturnType<typeof startGithubApi>>;
let db: LocalPostgres;
beforeAll(async () => {
  github = await startGithubApi({ token: GITHUB_TOKEN, alerts: ["Codertocat/Hello-World#191"] });
  db = await startPostgres();
});
afterAll(async () => {
  await github?.close();
  db?.stop();
});

function config(secret: Record<string, unknown>) {
  return parseConfig({
    secrets: [
      {
        name: "podinfo-api",
        leaks: { repositories: ["Codertocat/Hello-World"], secretTypes: ["adafruit_io_key"] },
        ...secret,
      },
    ],
    secretScanning: { tokenSecret: "switchyard/github-token", apiUrl: github.url },
    notifications: { topicArn: TOPIC },
  });
}

/**
 * `it` with `leakPlane(secret?, values?)`: a control plane managing the leaked API key (or `secret`),
 * Secrets Manager holding its value, the GitHub token and `values`; its clock where the simulated
 * account starts by default. Closed after the test.
 */
const it = planeIt.extend(
  "leakPlane",
  ({ startPlane }) =>
    (secret: Record<string, unknown> = {}, values: Record<string, string> = {}) =>
      startPlane(
        config({ secretId: "prod/podinfo/api", rotator: "random", options: { field: "apiKey" }, ...secret }),
        {
          start: undefined,
          secretValues: {
            "prod/podinfo/api": API_SECRET,
            "switchyard/github-token": GITHUB_TOKEN,
            ...values,
          },
        },
      ),
);

describe("rotate on leak", () => {
  it("rotates the leaked API key, makes the leaked version unreachable, resolves the alert as revoked, records and notifies", async ({
    leakPlane,
  }) => {
    const p = await leakPlane();
    const before = github.updates.length;
    await p.deliver(created());
    await p.runOut();
    const [execution] = p.account.sfn.executions();
    expect(execution?.status).toBe("SUCCEEDED");
    const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: "prod/podinfo/api" }));
    const labelled = Object.values(d.VersionIdsToStages ?? {}).flat();
    expect(labelled).toContain("AWSCURRENT");
    expect(labelled).not.toContain("AWSPREVIOUS");
    expect(github.updates.slice(before)).toEqual([
      expect.objectContaining({
        path: "/repos/Codertocat/Hello-World/secret-scanning/alerts/191",
        body: expect.objectContaining({ state: "resolved", resolution: "revoked" }),
      }),
    ]);
    const audit = await listAudit(p.store);
    expect(audit.map((a) => a.decision).sort()).toEqual(["rotated", "started"]);
    expect(p.account.sns.published(TOPIC).map((m) => m.Subject)).toEqual([
      "Leaked secret rotated: podinfo-api",
    ]);
  });

  it("rotates once for a duplicate delivery and for a publicly_leaked delivery of the same alert", async ({
    leakPlane,
  }) => {
    const p = await leakPlane();
    await p.deliver(created());
    await p.deliver(created());
    await p.deliver(publiclyLeaked());
    await p.runOut();
    expect(p.account.secrets.rotations).toHaveLength(1);
    expect(p.account.sfn.executions()).toHaveLength(1);
    expect((await listAudit(p.store)).filter((a) => a.decision === "duplicate")).toHaveLength(2);
  });

  it("records and notifies 'no action: no mapping' for an alert that no managed secret lists", async ({
    leakPlane,
  }) => {
    const p = await leakPlane();
    await p.deliver(
      busEvent<{ alert: { secret_type: string } }>("github/secret-scanning-alert-created.json", (e) => {
        e.detail.alert.secret_type = "slack_api_token";
      }),
    );
    await p.runOut();
    expect(p.account.sfn.executions()).toEqual([]);
    expect(p.account.secrets.rotations).toEqual([]);
    const [audit] = await listAudit(p.store);
    expect(audit).toMatchObject({
      decision: "no-action",
      reason: expect.stringContaining("no action: no mapping"),
    });
    expect(p.account.sns.published(TOPIC).map((m) => m.Subject)).toEqual([
      "Leaked secret not managed by Switchyard",
    ]);
  });

  it("is what switchyard replay reports for a secret scanning alert", async () => {
    const { replay } = await import("../packages/cli/src/replay.ts");
    const report = await replay(
      config({ secretId: "prod/podinfo/api", rotator: "random", options: { field: "apiKey" } }),
      [created()],
      {
        prepare: (p) => {
          p.account.secrets.seedSecret("prod/podinfo/api", API_SECRET);
          p.account.secrets.seedSecret("switchyard/github-token", GITHUB_TOKEN);
          p.account.secrets.configureRotation("prod/podinfo/api", {
            lambdaArn: p.account.lambda.functionArn("switchyard-rotate"),
            scheduleExpression: "rate(7 days)",
          });
        },
      },
    );
    expect(report.events[0]?.reactions).toEqual([
      expect.objectContaining({ reaction: "rotate-on-leak", decision: "started", outcome: "succeeded" }),
    ]);
    expect(report.audit.map((a) => a.decision).sort()).toEqual(["rotated", "started"]);
  });

  it("does not route a reopened alert to the leak reaction", async ({ leakPlane }) => {
    const p = await leakPlane();
    const delivery = await p.deliver(busEvent("github/secret-scanning-alert-reopened.json"));
    expect(delivery.outcomes.map((o) => o.rule)).not.toContain("rotate-on-leak");
    expect(p.account.sfn.executions()).toEqual([]);
  });

  it("records and notifies the failure, and fails the execution, when the alert cannot be resolved", async ({
    leakPlane,
  }) => {
    const p = await leakPlane({}, { "switchyard/github-token": "ghp_wrongtoken" });
    await p.deliver(created());
    await p.runOut();
    const [execution] = p.account.sfn.executions();
    expect(execution?.status).toBe("FAILED");
    const audit = await listAudit(p.store);
    expect(audit.find((a) => a.decision === "failed")?.reason).toContain("Bad credentials");
    expect(p.account.sns.published(TOPIC).map((m) => m.Subject)).toEqual([
      "Leaked secret NOT rotated: podinfo-api",
    ]);
  });

  it("rotates a leaked PostgreSQL user away: the new user logs in and the leaked one no longer does", async ({
    leakPlane,
  }) => {
    await db.sql("CREATE ROLE leak_app LOGIN PASSWORD 'leaked-password-1'");
    const secret = {
      engine: "postgres",
      host: db.host,
      port: db.port,
      username: "leak_app",
      password: "leaked-password-1",
      dbname: "postgres",
    };
    const p = await leakPlane(
      {
        secretId: "prod/db/app",
        rotator: "postgres-alternating-users",
        options: { masterSecret: "prod/db/master", ssl: false },
      },
      { "prod/db/app": JSON.stringify(secret), "prod/db/master": JSON.stringify(db.admin) },
    );
    await p.deliver(created());
    await p.runOut();
    expect(p.account.sfn.executions()[0]?.status).toBe("SUCCEEDED");
    const { GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const now = JSON.parse(
      (await p.clients.secrets.send(new GetSecretValueCommand({ SecretId: "prod/db/app" }))).SecretString ??
        "",
    ) as { username: string; password: string };
    expect(now.username).toBe("leak_app_clone");
    expect(await db.canLogIn(now.username, now.password)).toBe(true);
    expect(await db.canLogIn("leak_app", "leaked-password-1")).toBe(false);
  });
});
