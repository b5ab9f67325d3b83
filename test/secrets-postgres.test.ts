import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPostgres, postgresSecret, startPostgres } from "./support/postgres.ts";
import { rotationWorld } from "./support/rotation.ts";

const TOKENS = [
  "10000000-0000-4000-8000-000000000001",
  "10000000-0000-4000-8000-000000000002",
  "10000000-0000-4000-8000-000000000003",
];
let db: LocalPostgres;
let users = 0;

beforeAll(async () => {
  db = await startPostgres();
});
afterAll(() => db?.stop());

/** A fresh application user with a table it owns, and its secret in the simulated account. */
async function appUser(rotator: "postgres-single-user" | "postgres-alternating-users") {
  const username = `app_${++users}`;
  // Invented initial password: the rotation replaces it.
  const password = `initial-${users}-password`;
  await db.sql(
    `CREATE ROLE ${username} LOGIN PASSWORD '${password}'; CREATE TABLE ${username}_orders (id int); ALTER TABLE ${username}_orders OWNER TO ${username}`,
  );
  const options =
    rotator === "postgres-alternating-users"
      ? { masterSecret: "prod/db/master", ssl: false }
      : { ssl: false };
  const w = rotationWorld([{ name: "orders-db", secretId: "prod/db/app", rotator, options }]);
  w.account.secrets.seedSecret("prod/db/app", postgresSecret(db, username, password));
  w.account.secrets.seedSecret("prod/db/master", JSON.stringify(db.admin));
  const creds = async (stage = "AWSCURRENT") =>
    JSON.parse(await w.value("prod/db/app", stage)) as { username: string; password: string };
  return { ...w, username, password, creds };
}

/** Rotates `w`'s secret once, without error: the new credentials, which log in. */
async function rotateOnce(w: Awaited<ReturnType<typeof appUser>>) {
  await w.rotate("prod/db/app", TOKENS[0]);
  expect(w.account.secrets.rotations.at(-1)?.error).toBeUndefined();
  const now = await w.creds();
  expect(await db.canLogIn(now.username, now.password)).toBe(true);
  return now;
}

describe("postgres-single-user against a real PostgreSQL", () => {
  it("rotates the password: the new credentials log in and the old ones do not", async () => {
    const w = await appUser("postgres-single-user");
    const now = await rotateOnce(w);
    expect(now.username).toBe(w.username);
    expect(await db.canLogIn(w.username, w.password)).toBe(false);
  });

  it("completes a rotation whose setSecret ran and then testSecret failed, on retry", async () => {
    const w = await appUser("postgres-single-user");
    let calls = 0;
    w.account.injectFault({
      service: "secretsmanager",
      action: "GetSecretValue",
      error: "InternalServiceError",
      when: () => ++calls === 5,
    });
    await w.rotate("prod/db/app", TOKENS[0]);
    expect(w.account.secrets.rotations.at(-1)?.error?.step).toBe("testSecret");
    const pending = await w.creds("AWSPENDING");
    expect(await db.canLogIn(w.username, pending.password)).toBe(true);
    await w.rotate("prod/db/app", TOKENS[0]);
    expect((await w.creds()).password).toBe(pending.password);
    expect(await db.canLogIn(w.username, pending.password)).toBe(true);
  });

  it("fails setSecret with SetFailed, changing nothing, when no known password works", async () => {
    const w = await appUser("postgres-single-user");
    await db.sql(`ALTER ROLE ${w.username} PASSWORD 'changed-by-hand'`);
    await w.rotate("prod/db/app", TOKENS[0]);
    expect(w.account.secrets.rotations.at(-1)?.error).toMatchObject({
      step: "setSecret",
      errorType: "SetFailed",
    });
    expect(await db.canLogIn(w.username, "changed-by-hand")).toBe(true);
    expect((await w.creds()).password).toBe(w.password);
  });

  const malformed: [string, Record<string, unknown>, RegExp][] = [
    ["missing username", { engine: "postgres", host: "127.0.0.1", password: "x" }, /username/],
    [
      "a port of the wrong type",
      { engine: "postgres", host: "127.0.0.1", port: "5432", username: "u", password: "x" },
      /port/,
    ],
  ];
  for (const [what, secret, message] of malformed) {
    it(`fails with InvalidSecret naming the field on a secret with ${what}`, async () => {
      const w = rotationWorld([
        {
          name: "orders-db",
          secretId: "prod/db/bad",
          rotator: "postgres-single-user",
          options: { ssl: false },
        },
      ]);
      w.account.secrets.seedSecret("prod/db/bad", JSON.stringify(secret));
      await w.rotate("prod/db/bad", TOKENS[0]);
      expect(w.account.secrets.rotations.at(-1)?.error).toMatchObject({
        step: "createSecret",
        errorType: "InvalidSecret",
        errorMessage: expect.stringMatching(message),
      });
      expect(w.account.callsOf({ action: "PutSecretValue" })).toEqual([]);
    });
  }
});

describe("postgres-alternating-users against a real PostgreSQL", () => {
  it("switches to a clone with the same rights while the previous user still logs in", async () => {
    const w = await appUser("postgres-alternating-users");
    const now = await rotateOnce(w);
    expect(now.username).toBe(`${w.username}_clone`);
    expect(await db.canLogIn(w.username, w.password)).toBe(true);
    const { pgClient } = await import("../packages/core/src/secrets/sql.ts");
    const rows = await pgClient.session(
      {
        host: db.host,
        port: db.port,
        user: now.username,
        password: now.password,
        database: "postgres",
        ssl: false,
      },
      (query) => query(`SELECT count(*) AS n FROM ${w.username}_orders`),
    );
    expect(rows).toEqual({ ok: [{ n: "0" }] });
  });

  it("alternates back to the original user on the next rotation, re-passworded", async () => {
    const w = await appUser("postgres-alternating-users");
    await w.rotate("prod/db/app", TOKENS[0]);
    const clone = await w.creds();
    await w.rotate("prod/db/app", TOKENS[1]);
    const back = await w.creds();
    expect(back.username).toBe(w.username);
    expect(await db.canLogIn(back.username, back.password)).toBe(true);
    expect(await db.canLogIn(w.username, w.password)).toBe(false);
    expect(await db.canLogIn(clone.username, clone.password)).toBe(true);
  });

  it("runs every step twice with the same result", async () => {
    const w = await appUser("postgres-alternating-users");
    await w.rotate("prod/db/app", TOKENS[0]);
    const now = await w.creds();
    for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
      expect(
        (await w.invoke({ Step, SecretId: "prod/db/app", ClientRequestToken: TOKENS[0] })).error,
      ).toBeUndefined();
    }
    expect(await w.creds()).toEqual(now);
    expect(await db.canLogIn(now.username, now.password)).toBe(true);
  });
});

describe("switchyard bench's rotation item", () => {
  it("measures one full rotation per PostgreSQL rotator with its Secrets Manager and database calls", async () => {
    const { measureRotation } = await import("../packages/cli/src/bench/rotation.ts");

    const runs = await measureRotation();

    expect(runs.map((r) => r.rotator)).toEqual(["postgres-single-user", "postgres-alternating-users"]);
    for (const run of runs) {
      expect(run.wallMs).toBeGreaterThan(0);
      expect(run.secretsManagerCalls).toBeGreaterThanOrEqual(8);
      expect(run.databaseLogins).toBeGreaterThanOrEqual(2);
    }
  });
});
