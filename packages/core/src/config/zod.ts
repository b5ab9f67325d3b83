import * as z from "zod";
import { readDuration } from "./duration.ts";
import { closest, suggestion } from "./suggest.ts";

/**
 * The zod pieces every section of the config is built from, so each reaction's `config.ts`
 * words its fields the same way: strict objects that name the field meant, enums that suggest
 * the value meant, patterns with an example, and one duration.
 */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Run a cross-field check even when sibling fields failed (reading leniently), so one pass reports every issue. */
export const evenWithOtherIssues = { when: (payload: { value: unknown }) => isRecord(payload.value) };
export const evenWithOtherItemIssues = {
  when: (payload: { value: unknown }) => Array.isArray(payload.value),
};

/** Every object is strict, so a typo fails instead of being ignored; the message names the field meant. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    // One line per key, in `keys` order: parse.ts splits them so each line names its own field.
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys
            .map((key) => {
              const near = closest(key, known);
              const fix = near ? `did you mean "${near}"?` : `remove it (fields here: ${known.join(", ")})`;
              return `unknown field "${key}"; ${fix}`;
            })
            .join("\n")
        : undefined,
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) =>
      typeof issue.input === "string"
        ? `unknown ${what} "${issue.input}"; ${suggestion(issue.input, values)}`
        : `must be one of: ${values.join(", ")}`,
  });
}

export function pattern(regex: RegExp, message: (input: string) => string) {
  return z.string().regex(regex, { error: (issue) => message(String(issue.input)) });
}

/** A name made from what was written, for "e.g." hints: "My API!" → "my-api". */
export const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40) || "api";

/**
 * The longest a Standard Step Functions execution may run: one year ("Maximum execution time",
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html; also "Standard
 * workflow executions have a maximum duration of one year" in
 * https://docs.aws.amazon.com/step-functions/latest/dg/tutorial-continue-new.html). A Wait,
 * a task timeout or a bake longer than this can never end the way the config means.
 */
export const EXECUTION_LIMIT_SECONDS = 365 * 86_400;
export const EXECUTION_LIMIT = "365d";

export interface DurationOptions {
  /** Accept "0s" (a pause that does not wait); otherwise zero is reported. */
  allowZero?: boolean;
  /** The Wait or timeout runs inside one Step Functions execution, so it must fit in one. */
  withinExecution?: boolean;
  /** What a sensible value looks like here, for the message that rejects zero. */
  example?: string;
}

/**
 * A duration written as "30s", "5m", "1h30m" or "2d", read into seconds. Defaults are given
 * with `.prefault("30m")`, as written in a config, so they read the same as the file.
 */
export function duration({
  allowZero = false,
  withinExecution = false,
  example = "1m",
}: DurationOptions = {}) {
  return z.string().transform((text, ctx) => {
    const read = readDuration(text);
    if ("problem" in read) {
      ctx.addIssue({ code: "custom", message: read.problem });
      return z.NEVER;
    }
    if (read.seconds === 0 && !allowZero) {
      ctx.addIssue({ code: "custom", message: `must be longer than zero, e.g. "${example}"` });
      return z.NEVER;
    }
    if (withinExecution && read.seconds > EXECUTION_LIMIT_SECONDS) {
      ctx.addIssue({
        code: "custom",
        message:
          `"${text}" is longer than a Step Functions Standard execution may run (1 year): ` +
          `write at most "${EXECUTION_LIMIT}"`,
      });
      return z.NEVER;
    }
    return read.seconds;
  });
}

// Patterns several sections share; they follow the AWS API references (Lambda, EC2 regions)
// and GitHub's naming rules.

/** Deployment, secret and runbook names become part of Step Functions execution names. */
export const EXECUTION_PART = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const FUNCTION_REF =
  /^(?:[a-zA-Z0-9_-]{1,64}|arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64})$/;
export const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
export const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
export const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
export const ACCOUNT_ID = /^\d{12}$/;

/** The name of one item of a section (a deployment, a secret, a runbook). */
export const itemName = () =>
  pattern(
    EXECUTION_PART,
    (input) =>
      `must be 1 to 40 lower-case letters, digits or "-" (it names executions), e.g. "${slug(input)}"`,
  );
