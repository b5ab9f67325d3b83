import pg from "pg";
import { ErrorNames, SwitchyardError } from "../errors.ts";

export interface SqlCredentials {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl: boolean;
}

export type Query = (text: string) => Promise<Record<string, unknown>[]>;

/**
 * What the database rotators need from a database: log in, run statements, log out. Injected so
 * the bench can count calls; the production implementation is `pgClient`.
 */
export interface SqlClient {
  /** Logs in and runs `work`; a refused login (wrong user or password) resolves to `{ refused }`. */
  session<T>(
    credentials: SqlCredentials,
    work: (query: Query) => Promise<T>,
  ): Promise<{ ok: T } | { refused: string }>;
}

/** PostgreSQL's SQLSTATEs for a login the server refused: the credential is wrong, not the network. */
const REFUSED = new Set(["28P01", "28000"]);

export const pgClient: SqlClient = {
  async session(credentials, work) {
    const client = new pg.Client({
      host: credentials.host,
      port: credentials.port,
      user: credentials.user,
      password: credentials.password,
      database: credentials.database,
      ssl: credentials.ssl ? { rejectUnauthorized: true } : false,
      connectionTimeoutMillis: 5000,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      const code = (error as { code?: string }).code ?? "";
      if (REFUSED.has(code)) return { refused: `login refused (SQLSTATE ${code})` };
      throw new SwitchyardError(
        ErrorNames.DatabaseUnavailable,
        `could not reach PostgreSQL at ${credentials.host}:${credentials.port}: ${(error as Error).message}`,
      );
    }
    try {
      return { ok: await work(async (text) => (await client.query(text)).rows) };
    } finally {
      await client.end();
    }
  },
};

/** A string as an SQL literal (standard_conforming_strings, PostgreSQL's default since 9.1). */
export function literal(value: string): string {
  if (value.includes("\0"))
    throw new SwitchyardError(ErrorNames.InvalidSecret, "a NUL character cannot be sent to PostgreSQL");
  return `'${value.replaceAll("'", "''")}'`;
}

export function identifier(value: string): string {
  if (value.includes("\0"))
    throw new SwitchyardError(ErrorNames.InvalidSecret, "a NUL character cannot be sent to PostgreSQL");
  return `"${value.replaceAll('"', '""')}"`;
}
