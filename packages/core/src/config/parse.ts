import type * as z from "zod";
import { formatPath } from "../util/zod-error.ts";
import { configIndex } from "./lookup.ts";
import { type Config, ConfigSchema } from "./schema.ts";

/** A configuration that cannot be used; `issues` holds one "path: what is wrong; fix" line per problem. */
export class ConfigError extends Error {
  readonly issues: string[];

  constructor(source: string | undefined, issues: string[], options?: ErrorOptions) {
    const lines = issues.map((issue) => `  - ${issue}`).join("\n");
    super(`invalid config${source ? ` ${source}` : ""}:\n${lines}`, options);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "string")
    return `the string ${JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input)}`;
  if (typeof input === "object") return "an object";
  return `${typeof input} ${String(input)}`;
}

/** The likely slip behind a wrong type, keyed "expected<got". */
const TYPE_FIXES: Record<string, (input: unknown) => string | undefined> = {
  "string<number": () => "put the value in quotes",
  "number<string": (input) => (Number.isFinite(Number(input)) ? "remove the quotes" : undefined),
  "boolean<string": (input) =>
    input === "true" || input === "false" ? "write true or false without quotes" : undefined,
  "array<string": (input) => `make it a list: [${JSON.stringify(input)}]`,
};

/** Messages for the issues no field words itself: a missing or wrongly typed value. */
const configErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== "invalid_type") return undefined;
  const expected = EXPECTED[issue.expected] ?? issue.expected;
  if (issue.input === undefined) {
    const field = issue.path?.at(-1);
    return typeof field === "string" ? `missing; add "${field}" (${expected})` : `missing; add ${expected}`;
  }
  if ((issue.path?.length ?? 0) === 0) {
    return `the config must be an object such as { "deployments": [...] }, got ${describe(issue.input)}`;
  }
  const got = Array.isArray(issue.input) ? "array" : issue.input === null ? "null" : typeof issue.input;
  const fix = TYPE_FIXES[`${issue.expected}<${got}`]?.(issue.input);
  return `expected ${expected}, got ${describe(issue.input)}${fix ? `; ${fix}` : ""}`;
};

function line(path: readonly PropertyKey[], message: string): string {
  const where = formatPath(path);
  return where ? `${where}: ${message}` : message;
}

/**
 * A union's issues come per branch. The branch that matches the kind of value written (a preset
 * name vs `{ steps }`) is the one whose complaints help, so report that branch's issues: drop
 * branches that only rejected the value's type, then prefer the branch that got deepest.
 */
function unionBranch(branches: readonly z.core.$ZodIssue[][]): z.core.$ZodIssue[] | undefined {
  const depth = (branch: readonly z.core.$ZodIssue[]) =>
    Math.max(...branch.map((issue) => issue.path.length));
  const shaped = branches.filter(
    (branch) => !(branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0),
  );
  if (shaped.length <= 1) return shaped[0];
  const deepest = Math.max(...shaped.map(depth));
  const reached = shaped.filter((branch) => depth(branch) === deepest);
  return deepest > 0 && reached.length === 1 ? reached[0] : undefined;
}

function issueLines(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): string[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union") {
      const branch = unionBranch(issue.errors);
      return branch ? issueLines(branch, path) : [line(path, issue.message)];
    }
    if (issue.code === "unrecognized_keys") {
      // schema.ts words one line per unknown key, in `keys` order.
      const messages = issue.message.split("\n");
      return issue.keys.map((key, index) => line([...path, key], messages[index] ?? issue.message));
    }
    return [line(path, issue.message)];
  });
}

/**
 * Validates a configuration object; throws a ConfigError listing every issue at once. A valid
 * config's lookup index (lookup.ts) is built here, once per load.
 */
export function parseConfig(raw: unknown, source?: string): Config {
  const result = ConfigSchema.safeParse(raw, { error: configErrors });
  if (result.success) {
    configIndex(result.data);
    return result.data;
  }
  throw new ConfigError(source, issueLines(result.error.issues, []));
}
