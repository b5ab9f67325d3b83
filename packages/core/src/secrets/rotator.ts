import type { AwsClients } from "../aws/clients.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import type { RotatorName, RotatorOptions } from "./catalog.ts";
import type { SqlClient } from "./sql.ts";

/** What a rotator may use: the AWS clients (GetRandomPassword, other secrets) and a database client. */
export interface RotatorDeps {
  readonly clients: AwsClients;
  readonly sql: SqlClient;
}

/** The versions a step sees, as secret strings; `previous` is absent before the first rotation. */
export interface Versions {
  readonly current: string;
  readonly pending: string;
  readonly previous?: string;
}

/**
 * A rotator: how one kind of credential is made, applied, checked and, after a leak, killed.
 * Each method must be safe to call again with the same arguments (Secrets Manager retries steps).
 * A custom rotator is a module exporting one of these, added to `rotators` in `registry.ts`, with
 * its options schema in `catalog.ts` (see docs/decisions/0007-secret-rotation.md).
 */
export interface Rotator<N extends RotatorName = RotatorName> {
  readonly name: N;
  /** IAM actions its code sends beyond the rotation protocol's own Secrets Manager calls. */
  readonly permissions: readonly string[];
  /**
   * Whether `test` proves the external side holds the pending credential (a database login
   * with it). False when it cannot (GitHub never returns a webhook secret): recovering a stuck
   * rotation then re-applies `set` before it finishes, so the outside world and AWSCURRENT agree.
   */
  readonly testProvesSet: boolean;
  /** Checks a value (current, pending or previous) and says what is wrong, naming the field. */
  validate(secret: string, options: RotatorOptions<N>): void;
  /** The new secret string made from the current one (createSecret). */
  create(deps: RotatorDeps, current: string, options: RotatorOptions<N>): Promise<string>;
  /** Makes the pending credential valid where it is used (setSecret). */
  set(deps: RotatorDeps, versions: Versions, options: RotatorOptions<N>): Promise<void>;
  /** Proves the pending credential works (testSecret); throws TestFailed otherwise. */
  test(deps: RotatorDeps, pending: string, options: RotatorOptions<N>): Promise<void>;
  /** After a leak: makes the leaked credential useless, or proves it already is. */
  invalidate(deps: RotatorDeps, leaked: string, current: string, options: RotatorOptions<N>): Promise<void>;
}

/** The JSON value a secret holds; when it holds no JSON, an InvalidSecret saying `notJson`. */
export function secretJson(secret: string, notJson: string): unknown {
  try {
    return JSON.parse(secret);
  } catch {
    throw new SwitchyardError(ErrorNames.InvalidSecret, notJson);
  }
}
