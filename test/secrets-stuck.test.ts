import { DescribeSecretCommand, RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { LOCAL_NAMES } from "../packages/cli/src/local/control-plane.ts";
import { pgClient } from "../packages/core/src/secrets/sql.ts";
import { emitStuck, recoverStuck, secretStatuses } from "../packages/core/src/secrets/stuck.ts";
import { rules } from "../packages/core/src/wiring.ts";
import { it } from "./support/plane.ts";
import { type LocalPostgres, postgresSecret, startPostgres } from "./support/postgres.ts";
import { rotationWorld } from "./support/rotation.ts";
import { busEvent, example, present } from "./support/scenario.ts";

const NAME = "prod/podinfo/api";
const TOKEN = "20000000-0000-4000-8000-000000000001";
// Invented initial value: the rotations replace it.
const API_SECRET = JSON.stringify({ apiKey: "initial-key-0000000000000000000000000000" });

function world() {
  const w = rotationWorld([
    { name: "podinfo-api", secretId: NAME, rotator: "random", options: { field: "apiKey" } },
  ]);
  w.account.secrets.seedSecret(NAME, API_SECRET);
  return {
    ...w,
    deps: { clients: w.clients, sql: pgClient },
    entry: present(w.config.secrets[0], "the configured secret"),
  };
}

describe("stuck rotations", () => {
  it("are listed with the pending version that blocks the next rotation", async () => {
    const w = world();
    await w.rotateStuck(NAME, TOKEN);
    const [status] = await secretStatuses(w, w.config.secrets);
    expect(status).toMatchObject({ secret: "podinfo-api", rotationEnabled: true, stuck: { version: TOKEN } });
  });

  it("emit one Secret Rotation Stuck event per stuck secret", async () => {
    const w = world();
    await w.rotateStuck(NAME, TOKEN);
    const sent = await emitStuck(w, await secretStatuses(w, w.config.secrets));
    expect(sent).toBe(1);
    const [call] = w.account.callsOf({ action: "PutEvents" });
    expect(
      (call?.input as { Entries?: { DetailType: string; Detail: string }[] } | undefined)?.Entries,
    ).toEqual([
      expect.objectContaining({
        DetailType: "Secret Rotation Stuck",
        Detail: expect.stringContaining(TOKEN),
      }),
    ]);
  });

  it("are finished when the pending credential passes its test", async () => {
    const w = world();
    await w.rotateStuck(NAME, TOKEN);
    const pending = await w.value(NAME, "AWSPENDING");
    const recovery = await recoverStuck(w.deps, w.entry);
    expect(recovery).toEqual({ outcome: "finished", version: TOKEN });
    expect(await w.value(NAME)).toBe(pending);
    expect((await secretStatuses(w, w.config.secrets))[0]?.stuck).toBeUndefined();
  });

  it("are cleared and rotated again when the pending version has no value", async () => {
    const w = world();
    w.account.injectFault({
      service: "secretsmanager",
      action: "PutSecretValue",
      error: "InternalServiceError",
    });
    await w.rotate(NAME, TOKEN);
    const recovery = await recoverStuck(w.deps, w.entry);
    expect(recovery).toMatchObject({
      outcome: "retried",
      cleared: TOKEN,
      reason: "the pending version has no value",
    });
    const stages = await w.stages(NAME);
    expect(
      Object.values(stages).filter((s) => s.includes("AWSPENDING") && !s.includes("AWSCURRENT")),
    ).toEqual([]);
    expect(JSON.parse(await w.value(NAME)).apiKey).not.toBe(JSON.parse(API_SECRET).apiKey);
    expect(w.account.secrets.rotations.at(-1)?.error).toBeUndefined();
  });

  it("leave a secret that is not stuck alone", async () => {
    const w = world();
    expect(await recoverStuck(w.deps, w.entry)).toEqual({ outcome: "not-stuck" });
    expect(w.account.callsOf({ action: "UpdateSecretVersionStage" })).toEqual([]);
  });
});

describe("a stuck PostgreSQL rotation", () => {
  let db: LocalPostgres;
  beforeAll(async () => {
    db = await startPostgres();
  });
  afterAll(() => db?.stop());

  it("whose password was already changed is finished, so the current secret logs in again", async () => {
    await db.sql("CREATE ROLE stuck_app LOGIN PASSWORD 'stuck-initial-password'");
    const w = rotationWorld([
      {
        name: "orders-db",
        secretId: "prod/db/app",
        rotator: "postgres-single-user",
        options: { ssl: false },
      },
    ]);
    w.account.secrets.seedSecret("prod/db/app", postgresSecret(db, "stuck_app", "stuck-initial-password"));
    await w.rotateStuck("prod/db/app", TOKEN);
    const before = JSON.parse(await w.value("prod/db/app")) as { password: string };
    expect(await db.canLogIn("stuck_app", before.password)).toBe(false);
    const entry = present(w.config.secrets[0], "the configured secret");
    expect(await recoverStuck({ clients: w.clients, sql: pgClient }, entry)).toEqual({
      outcome: "finished",
      version: TOKEN,
    });
    const after = JSON.parse(await w.value("prod/db/app")) as { password: string };
    expect(await db.canLogIn("stuck_app", after.password)).toBe(true);
  });
});

describe("the hourly stuck-rotation schedule", () => {
  const RULE_ARN = "arn:aws:events:us-east-1:123456789012:rule/secrets-stuck-check";

  it("is an EventBridge rate(1 hour) rule targeting the secrets-stuck function", () => {
    const rule = rules.find((r) => r.name === "secrets-stuck-check");
    expect(rule).toMatchObject({ schedule: "rate(1 hour)", target: "secrets-stuck" });
  });

  it("reports and finishes a stuck rotation when its Scheduled Event fires", async ({ startPlane }) => {
    const p = await startPlane(
      example((raw) => ({
        ...raw,
        secrets: [{ name: "podinfo-api", secretId: NAME, rotator: "random", options: { field: "apiKey" } }],
      })),
      { start: undefined, secretValues: { [NAME]: API_SECRET } },
    );
    p.account.injectFault({
      service: "secretsmanager",
      action: "UpdateSecretVersionStage",
      error: "InternalServiceError",
      times: 1,
    });
    await p.clients.secrets.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: TOKEN }));
    const before = await secretStatuses(p, p.config.secrets);

    await p.deliver(
      busEvent("aws/events/scheduled-event.json", (e) => {
        e.resources = [RULE_ARN];
      }),
    );

    const after = await secretStatuses(p, p.config.secrets);
    const stuckEvents = p.account
      .callsOf({ action: "PutEvents" })
      .filter((c) => c.principal === `${LOCAL_NAMES.functionPrefix}secrets-stuck`)
      .flatMap((c) => (c.input as { Entries: { DetailType: string; Detail: string }[] }).Entries);
    expect(before[0]?.stuck).toEqual({ version: TOKEN });
    expect(after[0]?.stuck).toBeUndefined();
    expect(stuckEvents).toEqual([
      expect.objectContaining({
        DetailType: "Secret Rotation Stuck",
        Detail: expect.stringContaining(TOKEN),
      }),
    ]);
    const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(d.VersionIdsToStages?.[TOKEN]).toContain("AWSCURRENT");
  });

  it("dead-letters an invocation that is not a Scheduled Event and changes nothing", async ({
    startPlane,
  }) => {
    const p = await startPlane(example(), { start: undefined });
    const out = await p.account.lambda.invoke(
      `${LOCAL_NAMES.functionPrefix}secrets-stuck`,
      { hello: "world" },
      { principal: "test" },
    );
    expect(out.result).toMatchObject({
      outcome: "rejected",
      reason: expect.stringContaining("Scheduled Event"),
    });
    expect(p.account.callsOf({ action: "SendMessage" })).toHaveLength(1);
    expect(p.account.callsOf({ action: "DescribeSecret" })).toHaveLength(0);
  });
});
