import { Logger } from "@aws-lambda-powertools/logger";

/**
 * Powertools' middy middleware for the one Logger, from the same copy of the package as the Logger:
 * a handler that imported it from its own copy would bundle Powertools' logger twice (~18 KB).
 */
export { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";

import { ENV } from "../context.ts";

const SECRET_KEYS = /secret|password|passwd|token|credential|private[-_]?key|signature|authorization/i;
/**
 * Keys that name a secret rather than hold one: ids, ARNs, names, version stages. `secret` itself
 * is, in Switchyard's log lines, the name of a secrets[] entry (protocol.ts, stuck.ts, the
 * rotate-on-leak steps), never its value.
 */
const NAMES_A_SECRET = /(?:id|ids|arn|arns|name|names|stage|stages|type)$|^secret$/i;

const secretShaped = (key: string) => SECRET_KEYS.test(key) && !NAMES_A_SECRET.test(key);

/**
 * The one Logger. Every line carries the service name and, once a handler appends them,
 * the correlation id and the reaction. Secret values never reach it: callers log secret ids
 * and version ids, and every field whose name suggests a secret value is replaced by
 * "[redacted]" as the line is written (Powertools' JSON replacer, `jsonReplacerFn`), in the
 * message's attributes and the appended keys alike, however deep.
 */
export const logger = new Logger({
  serviceName: "switchyard",
  // POWERTOOLS_LOG_LEVEL (what Lambda users set) wins; SWITCHYARD_LOG_LEVEL is the project's default.
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env[ENV.logLevel] ?? "INFO") as "INFO",
  jsonReplacerFn: (key, value) => (key !== "" && secretShaped(key) ? "[redacted]" : value),
});

/** Deep copy of `value` with every field whose name suggests a secret value replaced by "[redacted]". */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, secretShaped(k) ? "[redacted]" : redact(v)]),
    );
  }
  return value;
}
