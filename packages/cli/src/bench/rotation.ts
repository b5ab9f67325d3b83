import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { createAllClients } from "@switchyard/core/aws/all-clients";
import { parseConfig } from "@switchyard/core/config/index";
import { pgClient, type SqlClient } from "@switchyard/core/secrets/sql";
import type { FunctionContext } from "@switchyard/functions";
import { make } from "@switchyard/functions/rotate";
import { localCredentials, SimulatedAccount } from "@switchyard/sim";
import { startPostgres } from "@switchyard/sim/postgres";
import type { Context } from "aws-lambda";

export interface RotationRun {
  unit: "ms";
  rotator: "postgres-single-user" | "postgres-alternating-users";
  /** RotateSecret to the new version AWSCURRENT: the four steps against a real PostgreSQL. */
  wallMs: number;
  /** Calls the rotation function made to Secrets Manager (RotateSecret itself not counted). */
  secretsManagerCalls: number;
  databaseLogins: number;
  databaseStatements: number;
}

/** A database client that counts what the rotators send; the work is pg's. */
function counting(inner: SqlClient) {
  const counts = { logins: 0, statements: 0 };
  const client: SqlClient = {
    session: (credentials, work) => {
      counts.logins++;
      return inner.session(credentials, (query) =>
        work((text) => {
          counts.statements++;
          return query(text);
        }),
      );
    },
  };
  return { client, counts };
}

/** One full rotation per PostgreSQL rotator, on the simulated Secrets Manager and a real PostgreSQL. */
export async function measureRotation(): Promise<RotationRun[]> {
  const db = await startPostgres();
  try {
    const out: RotationRun[] = [];
    for (const rotator of ["postgres-single-user", "postgres-alternating-users"] as const) {
      const user = `bench_${rotator.replaceAll("-", "_")}`;
      await db.sql(`CREATE ROLE ${user} LOGIN PASSWORD 'bench-initial-${process.pid}'`);
      const config = parseConfig({
        secrets: [
          {
            name: "bench-db",
            secretId: "bench/db",
            rotator,
            options: {
              ssl: false,
              ...(rotator === "postgres-alternating-users" ? { masterSecret: "bench/master" } : {}),
            },
          },
        ],
      });
      const account = new SimulatedAccount();
      const clients = createAllClients({
        region: account.region,
        credentials: localCredentials,
        attach: (c) => account.attach(c),
      });
      const { client, counts } = counting(pgClient);
      const handler = make(() => ({ clients, config }) as unknown as FunctionContext, client);
      account.lambda.registerHandler("bench-rotate", async (event, ctx) =>
        handler(event, ctx as unknown as Context),
      );
      account.secrets.seedSecret(
        "bench/db",
        JSON.stringify({
          engine: "postgres",
          host: db.host,
          port: db.port,
          username: user,
          password: `bench-initial-${process.pid}`,
          dbname: "postgres",
        }),
      );
      account.secrets.seedSecret("bench/master", JSON.stringify(db.admin));
      const started = performance.now();
      await clients.secrets.send(
        new RotateSecretCommand({
          SecretId: "bench/db",
          RotationLambdaARN: account.lambda.functionArn("bench-rotate"),
        }),
      );
      const wallMs = Math.round((performance.now() - started) * 10) / 10;
      const run = account.secrets.rotations.at(-1);
      if (!run || run.error)
        throw new Error(`bench: the ${rotator} rotation failed: ${run?.error?.errorType ?? "no run"}`);
      out.push({
        unit: "ms",
        rotator,
        wallMs,
        secretsManagerCalls: account.callsOf({ principal: "bench-rotate", service: "secretsmanager" }).length,
        databaseLogins: counts.logins,
        databaseStatements: counts.statements,
      });
    }
    return out;
  } finally {
    db.stop();
  }
}
