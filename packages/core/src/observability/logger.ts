import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one Logger. Every line carries the service name and, once a handler appends them,
 * the correlation id and the reaction. Secret values never reach it: callers log secret ids
 * and version ids, and `redact()` below is applied to anything shaped like a secret payload.
 */
export const logger = new Logger({
  serviceName: "switchyard",
  // POWERTOOLS_LOG_LEVEL (what Lambda users set) wins; SWITCHYARD_LOG_LEVEL is the project's default.
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL ?? process.env.SWITCHYARD_LOG_LEVEL ?? "INFO") as "INFO",
});

const SECRET_KEYS = /secret|password|passwd|token|credential|private[-_]?key|signature|authorization/i;

/** Deep copy of `value` with every field whose name suggests a secret replaced by "[redacted]". */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : redact(v)]),
    );
  }
  return value;
}
