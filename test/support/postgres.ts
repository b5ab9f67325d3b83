/** The tests' real PostgreSQL server: the same starter `switchyard bench` uses. */
export { type LocalPostgres, startPostgres } from "../../packages/sim/src/postgres.ts";
