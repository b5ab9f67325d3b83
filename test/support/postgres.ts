import type { LocalPostgres } from "../../packages/sim/src/postgres.ts";

/** The tests' real PostgreSQL server: the same starter `switchyard bench` uses. */
export { type LocalPostgres, startPostgres } from "../../packages/sim/src/postgres.ts";

/** The secret value of `username` on `db`, as the PostgreSQL rotators store it. */
export const postgresSecret = (db: LocalPostgres, username: string, password: string) =>
  JSON.stringify({
    engine: "postgres",
    host: db.host,
    port: db.port,
    username,
    password,
    dbname: "postgres",
  });
