import { BlockList, isIP } from "node:net";
import { formatPath } from "../util/zod-error.ts";

/**
 * Amazon EventBridge event-pattern matching (content filtering), for the local bus and for tests.
 *
 * Semantics follow the EventBridge user guide
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html) and, where the guide
 * is silent, the rule engine EventBridge runs (https://github.com/aws/event-ruler) as observed through AWS's
 * TestEventPattern API. Validation rejects what AWS rejects (bar the wildcard limit below), so a pattern that passes
 * here also passes in the cloud; it also rejects empty objects, which would silently match every event.
 *
 * Deliberate simplifications, all outside what the guide documents:
 * - a pattern key containing a dot is a plain key (AWS also lets `"a.b"` reach `{ "a": { "b": … } }`, and the
 *   event-ruler README warns not to rely on it);
 * - `exists: false` inside an array of objects is judged per element;
 * - wildcard "complexity" limits (AWS rejects some patterns with many wildcards) are not enforced.
 */

type Scalar = string | number | boolean | null;
type OneOrMore<T> = T | readonly T[];
type IgnoreCase = { readonly "equals-ignore-case": string };
type NumericCondition =
  | readonly ["=" | ">" | ">=" | "<" | "<=", number]
  | readonly [">" | ">=", number, "<" | "<=", number];
type AnythingBut =
  | string
  | number
  | readonly string[]
  | readonly number[]
  | { readonly prefix: OneOrMore<string> }
  | { readonly suffix: OneOrMore<string> }
  | { readonly "equals-ignore-case": OneOrMore<string> }
  | { readonly wildcard: OneOrMore<string> };
type Matcher =
  | { readonly prefix: string | IgnoreCase }
  | { readonly suffix: string | IgnoreCase }
  | { readonly "equals-ignore-case": string }
  | { readonly wildcard: string }
  | { readonly "anything-but": AnythingBut }
  | { readonly numeric: NumericCondition }
  | { readonly exists: boolean }
  | { readonly cidr: string };

/**
 * A field's pattern: a leaf (array of alternative values and matchers), a nested object (AND of its fields),
 * or, under the key `$or`, an array of alternative sub-patterns.
 */
type PatternValue = readonly (Scalar | Matcher)[] | EventPattern | readonly EventPattern[];

/** An EventBridge event pattern, as JSON data: `{ source: ["aws.ecr"], detail: { "action-type": ["PUSH"] } }`. */
export type EventPattern = { readonly [field: string]: PatternValue };

/**
 * True when `event` matches `pattern` under EventBridge semantics. Never throws on the event, whatever it is
 * (an event that is not a JSON object matches nothing). Throws when the pattern itself is invalid: validate
 * patterns at the edge with `validatePattern`. Patterns are compiled once and cached per pattern object.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    const errors: string[] = [];
    compiled = compileRoot(pattern, errors);
    if (errors.length > 0) throw new Error(`invalid event pattern: ${errors.join("; ")}`);
    compiledPatterns.set(pattern, compiled);
  }
  return isObject(event) && matchObject(compiled, event);
}

/** Every problem in `pattern`, one line each, naming the path and the fix; `[]` when it is a valid pattern. */
export function validatePattern(pattern: unknown): string[] {
  const errors: string[] = [];
  compileRoot(pattern, errors);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Compiled form: predicates built once per pattern, so matching an event allocates (almost) nothing.

type Leaf = Scalar;
type LeafTest = (value: Leaf) => boolean;
type EventObject = { readonly [key: string]: unknown };

type LeafRule = {
  readonly kind: "leaf";
  readonly key: string;
  readonly accepts: LeafTest;
  /** `exists: true` is among the alternatives. */
  readonly whenPresent: boolean;
  /** `exists: false` is among the alternatives. */
  readonly whenAbsent: boolean;
};
type NestedRule = {
  readonly kind: "nested";
  readonly key: string;
  readonly pattern: CompiledPattern;
  /** Whether the sub-pattern matches where the event has no object at all (only `exists: false` can). */
  readonly matchesNothing: boolean;
};
type CompiledPattern = {
  readonly fields: readonly (LeafRule | NestedRule)[];
  /** Each `$or` at this level: at least one alternative must match. */
  readonly anyOf: readonly (readonly CompiledPattern[])[];
};

const compiledPatterns = new WeakMap<object, CompiledPattern>();
const NO_FIELDS: EventObject = Object.freeze(Object.create(null));
const ANY_LEAF: LeafTest = () => true;

function matchObject(pattern: CompiledPattern, event: EventObject): boolean {
  for (const rule of pattern.fields) {
    const value = Object.hasOwn(event, rule.key) ? event[rule.key] : undefined;
    if (!(rule.kind === "leaf" ? matchLeaf(rule, value) : matchNested(rule, value))) return false;
  }
  for (const alternatives of pattern.anyOf) {
    if (!alternatives.some((alternative) => matchObject(alternative, event))) return false;
  }
  return true;
}

// An object or an empty array is not a leaf, so it "does not exist" for `exists` (as the guide's c-count example shows).
function matchLeaf(rule: LeafRule, value: unknown): boolean {
  if (rule.whenPresent || rule.whenAbsent) {
    const present = someLeaf(value, ANY_LEAF);
    if (present ? rule.whenPresent : rule.whenAbsent) return true;
  }
  return someLeaf(value, rule.accepts);
}

// An array of objects matches when one element matches the whole sub-pattern, so fields from different
// elements never combine (event-ruler's "array-consistent" matching).
function matchNested(rule: NestedRule, value: unknown): boolean {
  if (isObject(value)) return matchObject(rule.pattern, value);
  if (!Array.isArray(value)) return rule.matchesNothing;
  let sawElement = false;
  let onlyObjects = true;
  const found = someElement(value, (element) => {
    sawElement = true;
    if (isObject(element)) return matchObject(rule.pattern, element);
    onlyObjects = false;
    return false;
  });
  return found || (!(sawElement && onlyObjects) && rule.matchesNothing);
}

function someLeaf(value: unknown, accept: LeafTest): boolean {
  if (isLeaf(value)) return accept(value);
  return Array.isArray(value) && someElement(value, (element) => isLeaf(element) && accept(element));
}

/** Visits the elements of an array and of any arrays nested in it, iteratively and at most once per array. */
function someElement(array: readonly unknown[], visit: (element: unknown) => boolean): boolean {
  const nested: (readonly unknown[])[] = [];
  for (const element of array) {
    if (Array.isArray(element)) nested.push(element);
    else if (visit(element)) return true;
  }
  if (nested.length === 0) return false;
  const seen = new Set<readonly unknown[]>([array]);
  for (let next = nested.pop(); next !== undefined; next = nested.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const element of next) {
      if (Array.isArray(element)) nested.push(element);
      else if (visit(element)) return true;
    }
  }
  return false;
}

function isObject(value: unknown): value is EventObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
  );
}

// ---------------------------------------------------------------------------------------------------------
// Compilation and validation: one pass that both builds the predicates and reports every problem.

type Path = readonly (string | number)[];
type Alternative =
  | { readonly kind: "test"; readonly test: LeafTest }
  | { readonly kind: "exists"; readonly present: boolean };

function at(path: Path): string {
  return formatPath(path) || "(pattern)";
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function isJsonNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function compileRoot(pattern: unknown, errors: string[]): CompiledPattern {
  if (!isObject(pattern)) {
    const hint =
      typeof pattern === "string"
        ? "; if this is JSON text, JSON.parse it first"
        : ', e.g. { "source": ["aws.ecr"], "detail-type": ["ECR Image Action"] }';
    errors.push(`(pattern): an event pattern must be a JSON object of fields, got ${show(pattern)}${hint}`);
    return { fields: [], anyOf: [] };
  }
  return compileObject(pattern, [], errors, new Set());
}

function compileObject(
  pattern: EventObject,
  path: Path,
  errors: string[],
  ancestors: Set<object>,
): CompiledPattern {
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    errors.push(
      `${at(path)}: an empty object constrains nothing (a rule with it matches every event); name at least one field or remove it`,
    );
  }
  if (ancestors.has(pattern)) {
    errors.push(`${at(path)}: the pattern contains itself; patterns must be finite JSON data`);
    return { fields: [], anyOf: [] };
  }
  ancestors.add(pattern);
  const fields: (LeafRule | NestedRule)[] = [];
  const anyOf: CompiledPattern[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    const fieldPath = [...path, key];
    if (key === "$or") {
      anyOf.push(compileOr(value, fieldPath, errors, ancestors));
    } else if (Array.isArray(value)) {
      fields.push(compileLeaf(key, value, fieldPath, errors));
    } else if (isObject(value)) {
      const nested = compileObject(value, fieldPath, errors, ancestors);
      fields.push({ kind: "nested", key, pattern: nested, matchesNothing: matchObject(nested, NO_FIELDS) });
    } else {
      const parent = path.at(-1);
      const fix = Object.hasOwn(MATCHERS, key)
        ? `matchers belong inside a leaf array: "${parent ?? "field"}": [{ "${key}": ${show(value)} }]`
        : isLeaf(value)
          ? `wrap it in an array: [${show(value)}]`
          : "use an array of values or matchers, or a nested object of fields";
      errors.push(
        `${at(fieldPath)}: a pattern leaf must be an array of values or matchers, got ${show(value)}; ${fix}`,
      );
    }
  }
  ancestors.delete(pattern);
  return { fields, anyOf };
}

function compileOr(value: unknown, path: Path, errors: string[], ancestors: Set<object>): CompiledPattern[] {
  if (!Array.isArray(value) || value.length < 2) {
    errors.push(
      `${at(path)}: $or must be an array of at least two sub-patterns (objects), got ${show(value)}; ` +
        "for a single alternative, put its fields directly in the parent object",
    );
    return [];
  }
  return value.map((alternative, index) => {
    if (isObject(alternative)) return compileObject(alternative, [...path, index], errors, ancestors);
    errors.push(
      `${at([...path, index])}: each $or alternative must be an object of fields, got ${show(alternative)}`,
    );
    return { fields: [], anyOf: [] };
  });
}

function compileLeaf(key: string, items: readonly unknown[], path: Path, errors: string[]): LeafRule {
  if (items.length === 0) {
    errors.push(
      `${at(path)}: a pattern leaf must list at least one value or matcher (EventBridge rejects empty arrays); ` +
        'add a value, or use [{ "exists": false }] to require that the field is absent',
    );
  }
  const exact = new Set<Leaf>();
  const tests: LeafTest[] = [];
  let whenPresent = false;
  let whenAbsent = false;
  items.forEach((item, index) => {
    const itemPath = [...path, index];
    if (isLeaf(item) && (typeof item !== "number" || Number.isFinite(item))) {
      exact.add(item);
    } else if (isObject(item)) {
      const alternative = compileMatcher(item, itemPath, errors);
      if (alternative?.kind === "test") tests.push(alternative.test);
      else if (alternative?.kind === "exists") {
        if (alternative.present) whenPresent = true;
        else whenAbsent = true;
      }
    } else {
      const fix = Array.isArray(item)
        ? "nested arrays are not allowed; list the alternatives directly in the leaf array"
        : 'use a string, a finite number, true, false, null, or a matcher object such as { "prefix": "…" }';
      errors.push(
        `${at(itemPath)}: a leaf value must be a JSON scalar or a matcher, got ${show(item)}; ${fix}`,
      );
    }
  });
  const accepts: LeafTest =
    tests.length === 0
      ? (value) => exact.has(value)
      : (value) => exact.has(value) || tests.some((test) => test(value));
  return { kind: "leaf", key, accepts, whenPresent, whenAbsent };
}

type MatcherCompiler = (argument: unknown, path: Path, errors: string[]) => Alternative | undefined;

const MATCHERS: Readonly<Record<string, MatcherCompiler>> = {
  prefix: (argument, path, errors) =>
    affixMatcher("prefix", argument, path, errors, (value, affix) => value.startsWith(affix)),
  suffix: (argument, path, errors) =>
    affixMatcher("suffix", argument, path, errors, (value, affix) => value.endsWith(affix)),
  "equals-ignore-case": (argument, path, errors) => {
    if (typeof argument !== "string") {
      errors.push(`${at(path)}: equals-ignore-case takes a string, got ${show(argument)}`);
      return undefined;
    }
    const expected = argument.toLowerCase();
    return stringTest((value) => value.toLowerCase() === expected);
  },
  wildcard: (argument, path, errors) => {
    if (typeof argument !== "string") {
      errors.push(`${at(path)}: wildcard takes a string such as "dir/*.png", got ${show(argument)}`);
      return undefined;
    }
    const matches = compileWildcard(argument, path, errors);
    return matches && stringTest(matches);
  },
  "anything-but": compileAnythingBut,
  numeric: compileNumeric,
  exists: (argument, path, errors) => {
    if (typeof argument === "boolean") return { kind: "exists", present: argument };
    errors.push(`${at(path)}: exists takes true or false, got ${show(argument)}`);
    return undefined;
  },
  cidr: compileCidr,
};

function compileMatcher(matcher: EventObject, path: Path, errors: string[]): Alternative | undefined {
  const names = Object.keys(matcher);
  const [name] = names;
  if (name === undefined || names.length > 1) {
    errors.push(
      `${at(path)}: a matcher object must have exactly one key, got ${names.length === 0 ? "none" : names.map((n) => JSON.stringify(n)).join(", ")}; ` +
        'put each matcher in its own array item: [{ "prefix": "a" }, { "suffix": "b" }]',
    );
    return undefined;
  }
  const compile = Object.hasOwn(MATCHERS, name) ? MATCHERS[name] : undefined;
  if (compile === undefined) {
    const known = Object.keys(MATCHERS);
    const sameIgnoringCase = known.find((candidate) => candidate === name.toLowerCase());
    const fix = sameIgnoringCase
      ? `matcher names are case-sensitive: use "${sameIgnoringCase}"`
      : `use one of ${known.map((n) => `"${n}"`).join(", ")}; to match a field named "${name}", nest it as an object, not inside a leaf array`;
    errors.push(`${at([...path, name])}: unknown matcher "${name}"; ${fix}`);
    return undefined;
  }
  return compile(matcher[name], [...path, name], errors);
}

function stringTest(test: (value: string) => boolean): Alternative {
  return { kind: "test", test: (value) => typeof value === "string" && test(value) };
}

function affixMatcher(
  name: "prefix" | "suffix",
  argument: unknown,
  path: Path,
  errors: string[],
  hasAffix: (value: string, affix: string) => boolean,
): Alternative | undefined {
  if (typeof argument === "string") return stringTest((value) => hasAffix(value, argument));
  const ignoreCase = isObject(argument) ? argument["equals-ignore-case"] : undefined;
  if (isObject(argument) && Object.keys(argument).length === 1 && typeof ignoreCase === "string") {
    const affix = ignoreCase.toLowerCase();
    return stringTest((value) => hasAffix(value.toLowerCase(), affix));
  }
  errors.push(
    `${at(path)}: ${name} takes a string or { "equals-ignore-case": string }, got ${show(argument)}; ` +
      `for several ${name}es, list several matchers: [{ "${name}": "a" }, { "${name}": "b" }]`,
  );
  return undefined;
}

// `*` matches any run of characters (including none); `\*` is a literal star and `\\` a literal backslash.
// Compiled to literal segments matched left to right, so matching is linear and never backtracks.
function compileWildcard(
  source: string,
  path: Path,
  errors: string[],
): ((value: string) => boolean) | undefined {
  const segments: string[] = [];
  let current = "";
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "*") {
      if (source[i + 1] === "*") {
        errors.push(
          `${at(path)}: consecutive wildcard characters at position ${i} in ${show(source)}; one * already matches any run of characters`,
        );
        return undefined;
      }
      segments.push(current);
      current = "";
    } else if (char === "\\") {
      const next = source[i + 1];
      if (next !== "*" && next !== "\\") {
        errors.push(
          `${at(path)}: invalid escape at position ${i} in ${show(source)}; only \\* and \\\\ may be escaped`,
        );
        return undefined;
      }
      current += next;
      i++;
    } else {
      current += char;
    }
  }
  segments.push(current);
  return wildcardTest(segments);
}

function wildcardTest(segments: readonly string[]): (value: string) => boolean {
  const [first = "", ...rest] = segments;
  if (rest.length === 0) return (value) => value === first;
  const last = rest.pop() ?? "";
  const minLength = segments.reduce((sum, segment) => sum + segment.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    const end = value.length - last.length;
    let position = first.length;
    for (const segment of rest) {
      const found = value.indexOf(segment, position);
      if (found < 0) return false;
      position = found + segment.length;
    }
    return position <= end;
  };
}

// anything-but matches any present leaf value other than the listed ones, null and non-strings included
// (AWS: `{"anything-but": {"prefix": "init"}}` matches 12 and null); it never matches an absent field.
type StringExclusion = {
  readonly rejectsEmpty: boolean;
  readonly compile: (
    values: readonly string[],
    path: Path,
    errors: string[],
  ) => ((value: string) => boolean) | undefined;
};

const STRING_EXCLUSIONS: Readonly<Record<string, StringExclusion>> = {
  prefix: { rejectsEmpty: true, compile: (prefixes) => (value) => prefixes.some((p) => value.startsWith(p)) },
  suffix: { rejectsEmpty: true, compile: (suffixes) => (value) => suffixes.some((s) => value.endsWith(s)) },
  "equals-ignore-case": {
    rejectsEmpty: false,
    compile: (values) => {
      const lowered = new Set(values.map((v) => v.toLowerCase()));
      return (value) => lowered.has(value.toLowerCase());
    },
  },
  wildcard: {
    rejectsEmpty: false,
    compile: (sources, path, errors) => {
      const tests = sources.map((source, index) =>
        compileWildcard(source, sources.length > 1 ? [...path, index] : path, errors),
      );
      return tests.every((test) => test !== undefined)
        ? (value) => tests.some((test) => test(value))
        : undefined;
    },
  },
};

function compileAnythingBut(argument: unknown, path: Path, errors: string[]): Alternative | undefined {
  if (typeof argument === "string" || isJsonNumber(argument)) {
    return { kind: "test", test: (value) => value !== argument };
  }
  if (Array.isArray(argument)) {
    const allStrings = argument.every((v) => typeof v === "string");
    const allNumbers = argument.every(isJsonNumber);
    if (argument.length === 0 || !(allStrings || allNumbers)) {
      errors.push(
        `${at(path)}: an anything-but list must hold only strings or only numbers, and at least one, got ${show(argument)}`,
      );
      return undefined;
    }
    const excluded = new Set<Leaf>(argument as readonly Leaf[]);
    return { kind: "test", test: (value) => !excluded.has(value) };
  }
  const names = isObject(argument) ? Object.keys(argument) : [];
  const [name] = names;
  const exclusion =
    name !== undefined && Object.hasOwn(STRING_EXCLUSIONS, name) ? STRING_EXCLUSIONS[name] : undefined;
  if (!isObject(argument) || names.length !== 1 || name === undefined || exclusion === undefined) {
    errors.push(
      `${at(path)}: anything-but takes a string, a number, a list of strings or of numbers, or one of ` +
        `{ "prefix" | "suffix" | "equals-ignore-case" | "wildcard": string or list of strings }, got ${show(argument)}`,
    );
    return undefined;
  }
  const operand = argument[name];
  const operandPath = [...path, name];
  const values = typeof operand === "string" ? [operand] : operand;
  if (
    !Array.isArray(values) ||
    values.length === 0 ||
    !values.every((v): v is string => typeof v === "string")
  ) {
    errors.push(
      `${at(operandPath)}: anything-but ${name} takes a string or a non-empty list of strings, got ${show(operand)}`,
    );
    return undefined;
  }
  if (exclusion.rejectsEmpty && values.includes("")) {
    errors.push(`${at(operandPath)}: an empty ${name} would exclude every string; give a non-empty ${name}`);
    return undefined;
  }
  const excludes = exclusion.compile(values, operandPath, errors);
  return excludes && { kind: "test", test: (value) => typeof value !== "string" || !excludes(value) };
}

const COMPARISONS: Readonly<Record<string, (value: number, bound: number) => boolean>> = {
  "=": (value, bound) => value === bound,
  ">": (value, bound) => value > bound,
  ">=": (value, bound) => value >= bound,
  "<": (value, bound) => value < bound,
  "<=": (value, bound) => value <= bound,
};
const LOWER_BOUNDS = [">", ">="];
const UPPER_BOUNDS = ["<", "<="];

function compileNumeric(argument: unknown, path: Path, errors: string[]): Alternative | undefined {
  const shape = 'numeric takes [operator, number] or a range [">" or ">=", number, "<" or "<=", number]';
  if (!Array.isArray(argument) || (argument.length !== 2 && argument.length !== 4)) {
    errors.push(`${at(path)}: ${shape}, got ${show(argument)}; e.g. [">", 0, "<=", 5]`);
    return undefined;
  }
  const problems = errors.length;
  const conditions: [(value: number, bound: number) => boolean, number][] = [];
  for (let i = 0; i < argument.length; i += 2) {
    const operator: unknown = argument[i];
    const bound: unknown = argument[i + 1];
    const compare =
      typeof operator === "string" && Object.hasOwn(COMPARISONS, operator)
        ? COMPARISONS[operator]
        : undefined;
    if (compare === undefined) {
      errors.push(
        `${at([...path, i])}: unknown numeric operator ${show(operator)}; use one of "=", ">", ">=", "<", "<="`,
      );
    } else if (
      argument.length === 4 &&
      !(i === 0 ? LOWER_BOUNDS : UPPER_BOUNDS).includes(operator as string)
    ) {
      errors.push(
        `${at([...path, i])}: a range needs a lower bound (">" or ">=") first and an upper bound ("<" or "<=") second, ` +
          `got ${show(operator)}; e.g. [">", 0, "<=", 5]`,
      );
    }
    if (!isJsonNumber(bound)) {
      errors.push(
        `${at([...path, i + 1])}: the operand of ${show(operator)} must be a finite number, got ${show(bound)}`,
      );
    }
    if (compare !== undefined && isJsonNumber(bound)) conditions.push([compare, bound]);
  }
  const [lower, upper] = conditions;
  if (errors.length === problems && lower && upper && lower[1] >= upper[1]) {
    errors.push(
      `${at(path)}: the range's lower bound ${lower[1]} must be less than its upper bound ${upper[1]}`,
    );
  }
  if (errors.length > problems) return undefined;
  return {
    kind: "test",
    test: (value) =>
      typeof value === "number" && conditions.every(([compare, bound]) => compare(value, bound)),
  };
}

// Mask limits follow event-ruler (IPv4 /0–/31, IPv6 /0–/127): AWS rejects a CIDR covering a single address.
function compileCidr(argument: unknown, path: Path, errors: string[]): Alternative | undefined {
  const [address = "", bits, ...extra] = typeof argument === "string" ? argument.split("/") : [];
  const family = isIP(address);
  const maxBits = family === 4 ? 31 : 127;
  if (typeof argument !== "string" || bits === undefined || extra.length > 0 || !/^\d{1,3}$/.test(bits)) {
    errors.push(
      `${at(path)}: cidr takes "address/bits" such as "10.0.0.0/24" or "2001:db8::/32", got ${show(argument)}`,
    );
    return undefined;
  }
  if (family === 0 || address.includes("%")) {
    errors.push(`${at(path)}: ${show(address)} is not an IPv4 or IPv6 address; write e.g. "10.0.0.0/24"`);
    return undefined;
  }
  if (Number(bits) > maxBits) {
    errors.push(
      `${at(path)}: an IPv${family} CIDR takes at most ${maxBits} mask bits, got ${bits}; for one address, list it as an exact value: [${show(address)}]`,
    );
    return undefined;
  }
  const range = new BlockList();
  range.addSubnet(address, Number(bits), family === 4 ? "ipv4" : "ipv6");
  return stringTest((value) => {
    const valueFamily = isIP(value);
    return valueFamily !== 0 && range.check(value, valueFamily === 4 ? "ipv4" : "ipv6");
  });
}
