/**
 * How `postgres-alternating-users` names the second user, kept free of rotator code (and of the
 * AWS SDK) so that config validation can check a configured username against it.
 */

/**
 * PostgreSQL keeps NAMEDATALEN-1 = 63 bytes of an identifier and silently truncates longer ones
 * ("The system uses no more than NAMEDATALEN-1 bytes of an identifier; longer names can be
 * written in commands, but they will be truncated",
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS).
 * A truncated clone name could be another user's name, so it is an error, never shortened.
 */
export const POSTGRES_NAME_BYTES = 63;
export const CLONE_SUFFIX = "_clone";

/** The user that takes turns with `username`: its clone, or for a clone the original; or why there is none. */
export function alternateUser(username: string): { username: string } | { problem: string } {
  if (username.endsWith(CLONE_SUFFIX)) return { username: username.slice(0, -CLONE_SUFFIX.length) };
  const clone = `${username}${CLONE_SUFFIX}`;
  const bytes = new TextEncoder().encode(clone).length;
  if (bytes <= POSTGRES_NAME_BYTES) return { username: clone };
  return {
    problem:
      `the second user "${clone}" would be ${bytes} bytes, longer than PostgreSQL's ${POSTGRES_NAME_BYTES}-byte ` +
      `limit for names (it would be truncated): use a user name of at most ` +
      `${POSTGRES_NAME_BYTES - CLONE_SUFFIX.length} bytes`,
  };
}
