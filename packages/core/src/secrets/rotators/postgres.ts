import { GetRandomPasswordCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import * as z from "zod";
import { ErrorNames, SwitchyardError } from "../../errors.ts";
import { formatZodIssues } from "../../util/zod-error.ts";
import { alternateUser, CLONE_SUFFIX } from "../alternating-users.ts";
import { type Rotator, type RotatorDeps, secretJson } from "../rotator.ts";
import { identifier, literal, type SqlCredentials } from "../sql.ts";

/** The JSON Secrets Manager's own PostgreSQL rotation templates use. */
const PostgresSecret = z.looseObject({
  engine: z.literal("postgres").optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(5432),
  username: z.string().min(1).max(63),
  password: z.string().min(1),
  dbname: z.string().min(1).default("postgres"),
});
type PostgresSecret = z.output<typeof PostgresSecret>;

/** Characters that break connection strings or shell quoting where people paste passwords. */
const EXCLUDED = "/@\"'\\ :";

function parse(secret: string, what = "the secret"): PostgresSecret {
  const value = secretJson(
    secret,
    `${what} is not JSON: store {"host","port","username","password","dbname"}`,
  );
  const parsed = PostgresSecret.safeParse(value);
  if (!parsed.success)
    throw new SwitchyardError(
      ErrorNames.InvalidSecret,
      `${what}: ${formatZodIssues(parsed.error).join("; ")}`,
    );
  return parsed.data;
}

const credentials = (s: PostgresSecret, ssl: boolean): SqlCredentials => ({
  host: s.host,
  port: s.port,
  user: s.username,
  password: s.password,
  database: s.dbname,
  ssl,
});

async function newPassword(deps: RotatorDeps): Promise<string> {
  const out = await deps.clients.secrets.send(
    new GetRandomPasswordCommand({
      PasswordLength: 32,
      ExcludeCharacters: EXCLUDED,
      RequireEachIncludedType: true,
    }),
  );
  return out.RandomPassword ?? "";
}

/** Logs in as `secret` and returns the user the server says we are, or undefined when refused. */
async function whoAmI(deps: RotatorDeps, secret: PostgresSecret, ssl: boolean): Promise<string | undefined> {
  const out = await deps.sql.session(credentials(secret, ssl), async (query) => {
    const rows = await query("SELECT current_user AS who");
    return String(rows[0]?.who ?? "");
  });
  return "ok" in out ? out.ok : undefined;
}

async function test(deps: RotatorDeps, pending: string, ssl: boolean): Promise<void> {
  const secret = parse(pending, "the pending secret");
  const who = await whoAmI(deps, secret, ssl);
  if (who !== secret.username)
    throw new SwitchyardError(
      ErrorNames.TestFailed,
      who === undefined
        ? `PostgreSQL refused the pending credentials of ${secret.username}`
        : `logged in as ${who}, expected ${secret.username}`,
    );
}

/** The pending secret must point at the same server and database as the current one. */
function sameTarget(current: PostgresSecret, pending: PostgresSecret): void {
  for (const key of ["host", "port", "dbname"] as const) {
    if (current[key] !== pending[key])
      throw new SwitchyardError(
        ErrorNames.InvalidSecret,
        `${key}: the pending secret says ${String(pending[key])}, the current one ${String(current[key])}; a rotation never moves a credential to another database`,
      );
  }
}

/**
 * One user whose password changes in place: setSecret logs in as that user (pending first,
 * so a retry finds the work done; then current; then previous, in case an earlier attempt set
 * it but failed before finishing) and runs ALTER ROLE. Clients holding the old password fail
 * until they read AWSCURRENT again, which is why `postgres-alternating-users` exists.
 */
export const postgresSingleUser: Rotator<"postgres-single-user"> = {
  name: "postgres-single-user",
  permissions: ["secretsmanager:GetRandomPassword"],
  // test logs in with the pending credential: PostgreSQL itself proves set applied.
  testProvesSet: true,
  validate(secret) {
    parse(secret);
  },
  async create(deps, current) {
    return JSON.stringify({ ...parse(current), password: await newPassword(deps) });
  },
  async set(deps, { current, pending, previous }, { ssl }) {
    const now = parse(current);
    const next = parse(pending, "the pending secret");
    sameTarget(now, next);
    if (next.username !== now.username)
      throw new SwitchyardError(
        ErrorNames.InvalidSecret,
        `username: the pending secret names ${next.username}, the current one ${now.username}`,
      );
    if ((await whoAmI(deps, next, ssl)) === next.username) return;
    const candidates = [now, ...(previous ? [parse(previous, "the previous secret")] : [])];
    for (const login of candidates) {
      if (login.username !== next.username) continue;
      const out = await deps.sql.session(credentials(login, ssl), (query) =>
        query(`ALTER ROLE ${identifier(next.username)} WITH PASSWORD ${literal(next.password)}`),
      );
      if ("ok" in out) return;
    }
    throw new SwitchyardError(
      ErrorNames.SetFailed,
      `PostgreSQL refused ${next.username}'s pending, current and previous passwords: set one by hand, then rotate again`,
    );
  },
  async test(deps, pending, { ssl }) {
    await test(deps, pending, ssl);
  },
  async invalidate(deps, leaked, _current, { ssl }) {
    const old = parse(leaked, "the leaked secret");
    if ((await whoAmI(deps, old, ssl)) !== undefined)
      throw new SwitchyardError(
        ErrorNames.StillValid,
        `PostgreSQL still accepts the leaked password of ${old.username}`,
      );
  },
};

/**
 * Two users that take turns: each rotation re-passwords the user that is not current (creating
 * it on first use as a member of the original, so it has the same rights) and makes it current.
 * Clients on the previous credentials keep working until the rotation after next.
 */
export const postgresAlternatingUsers: Rotator<"postgres-alternating-users"> = {
  name: "postgres-alternating-users",
  permissions: ["secretsmanager:GetRandomPassword", "secretsmanager:GetSecretValue"],
  // test logs in with the pending credential: PostgreSQL itself proves set applied.
  testProvesSet: true,
  validate(secret, { username }) {
    const value = parse(secret);
    if (
      username !== undefined &&
      value.username !== username &&
      value.username !== `${username}${CLONE_SUFFIX}`
    )
      throw new SwitchyardError(
        ErrorNames.InvalidSecret,
        `username: the secret names ${value.username}; the config's options.username says ${username} or ${username}${CLONE_SUFFIX}`,
      );
  },
  async create(deps, current) {
    const now = parse(current);
    const next = alternateUser(now.username);
    if ("problem" in next) throw new SwitchyardError(ErrorNames.InvalidSecret, `username: ${next.problem}`);
    return JSON.stringify({ ...now, username: next.username, password: await newPassword(deps) });
  },
  async set(deps, { current, pending }, { masterSecret, ssl }) {
    const now = parse(current);
    const next = parse(pending, "the pending secret");
    sameTarget(now, next);
    if ((await whoAmI(deps, next, ssl)) === next.username) return;
    const master = await readMaster(deps, masterSecret);
    const original = next.username.endsWith(CLONE_SUFFIX)
      ? next.username.slice(0, -CLONE_SUFFIX.length)
      : next.username;
    const out = await deps.sql.session(
      credentials({ ...master, dbname: next.dbname }, ssl),
      async (query) => {
        const exists = await query(`SELECT 1 FROM pg_roles WHERE rolname = ${literal(next.username)}`);
        if (exists.length === 0) {
          await query(
            `CREATE ROLE ${identifier(next.username)} WITH LOGIN PASSWORD ${literal(next.password)}`,
          );
          if (original !== next.username)
            await query(`GRANT ${identifier(original)} TO ${identifier(next.username)}`);
        } else {
          await query(
            `ALTER ROLE ${identifier(next.username)} WITH LOGIN PASSWORD ${literal(next.password)}`,
          );
        }
      },
    );
    if ("refused" in out)
      throw new SwitchyardError(
        ErrorNames.SetFailed,
        `PostgreSQL refused the master user's credentials (${masterSecret})`,
      );
  },
  async test(deps, pending, { ssl }) {
    await test(deps, pending, ssl);
  },
  async invalidate(deps, leaked, current, { masterSecret, ssl }) {
    const old = parse(leaked, "the leaked secret");
    if (old.username === parse(current).username)
      throw new SwitchyardError(
        ErrorNames.StillValid,
        `the leaked user ${old.username} is still the current one`,
      );
    if ((await whoAmI(deps, old, ssl)) === undefined) return;
    const master = await readMaster(deps, masterSecret);
    // A new random password nobody is told: the role (and what it owns) stays, the leaked login dies.
    const out = await deps.sql.session(credentials({ ...master, dbname: old.dbname }, ssl), (query) =>
      query(`ALTER ROLE ${identifier(old.username)} WITH PASSWORD ${literal(randomString())}`),
    );
    if ("refused" in out)
      throw new SwitchyardError(
        ErrorNames.SetFailed,
        `PostgreSQL refused the master user's credentials (${masterSecret})`,
      );
  },
};

async function readMaster(deps: RotatorDeps, masterSecret: string): Promise<PostgresSecret> {
  const out = await deps.clients.secrets.send(new GetSecretValueCommand({ SecretId: masterSecret }));
  return parse(out.SecretString ?? "", `the master secret ${masterSecret}`);
}

function randomString(): string {
  return `${crypto.randomUUID()}${crypto.randomUUID()}`;
}
