import { isIP } from "node:net";
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
 * Checked against event-ruler's own test data and the EventBridge documentation's examples
 * (test/fixtures/event-ruler/, test/event-ruler-conformance.test.ts). Where the two disagree with intuition, this
 * follows event-ruler:
 * - a pattern key containing a dot is a path: `"a.b"` reaches `{ "a": { "b": … } }`, as event-ruler flattens rules;
 * - inside `$or`, a field the parent also names replaces the parent's condition for that branch;
 * - `exists: false` holds only if the field has no value anywhere at its path, across all elements of arrays;
 * - ignore-case folds each character of the pattern to its own lower and upper case form, never the event
 *   (`"straße"` matches `"STRASSE"`, `"STRASSE"` does not match `"straße"`);
 * - `cidr` takes addresses as event-ruler parses them (IPv4-mapped IPv6 in hex form is IPv4; dotted or zoned
 *   IPv6 text is not an address).
 * Known differences, kept: an event key containing a dot is a plain key here; the literal text of a number
 * (`1E-325`, 20 significant digits) is lost to JSON.parse, so a numeric operand event-ruler rejects as inexact is
 * accepted; the undocumented `exactly` matcher is rejected; wildcard "complexity" limits are not enforced.
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
  return isObject(event) && compiled.some((alternative) => matchObject(alternative, event));
}

/** Every problem in `pattern`, one line each, naming the path and the fix; `[]` when it is a valid pattern. */
export function validatePattern(pattern: unknown): string[] {
  const errors: string[] = [];
  compileRoot(pattern, errors);
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Compiled form and matching, as event-ruler does it: both the rule and the event are flattened to fields named
// by their dotted paths (arrays add nothing to a name), the rule's fields are taken in name order, and each is
// matched by an event field that is "array-consistent" with the fields matched before it: no two of them may sit
// in different elements of one array. `exists: false` holds when no field of that name is consistent with the
// fields matched so far, which is why it depends on what the rule matched before it.

type Leaf = Scalar;
type LeafTest = (value: Leaf) => boolean;
type EventObject = { readonly [key: string]: unknown };

type LeafRule = {
  /** The dotted path, as event-ruler names fields: `"detail.state"`. */
  readonly name: string;
  readonly accepts: LeafTest;
  /** `exists: true` is among the alternatives. */
  readonly whenPresent: boolean;
  /** `exists: false` is among the alternatives. */
  readonly whenAbsent: boolean;
};
/** One `$or`-free alternative of a pattern: its fields in name order, and every dotted prefix of their names. */
type CompiledPattern = {
  readonly fields: readonly LeafRule[];
  readonly names: ReadonlySet<string>;
  readonly prefixes: ReadonlySet<string>;
};

const compiledPatterns = new WeakMap<object, readonly CompiledPattern[]>();

/** Where a value sits in the event: its parent position, and whether it is an element of an array. */
type Position = { readonly parent: Position | undefined; readonly depth: number; readonly inArray: boolean };
type EventField = { readonly value: Leaf; readonly at: Position };
const ROOT: Position = { parent: undefined, depth: 0, inArray: false };

function matchObject(pattern: CompiledPattern, event: EventObject): boolean {
  const fields = flatten(event, pattern);
  const chosen: Position[] = [];
  const search = (index: number): boolean => {
    const rule = pattern.fields[index];
    if (rule === undefined) return true;
    const candidates = (fields.get(rule.name) ?? []).filter((field) =>
      chosen.every((other) => consistent(other, field.at)),
    );
    if (rule.whenAbsent && candidates.length === 0 && search(index + 1)) return true;
    for (const field of candidates) {
      if (!(rule.whenPresent || rule.accepts(field.value))) continue;
      chosen.push(field.at);
      const found = search(index + 1);
      chosen.pop();
      if (found) return true;
    }
    return false;
  };
  return search(0);
}

/**
 * The event's leaf values under the names the pattern uses. Objects and empty arrays are not leaves, so they "do
 * not exist" for `exists` (as the guide's c-count example shows). Iterative, and each array or object is visited
 * once, so deep or self-referencing data cannot overflow the stack or loop.
 */
function flatten(event: EventObject, pattern: CompiledPattern): Map<string, EventField[]> {
  const fields = new Map<string, EventField[]>();
  const seen = new Set<object>();
  const stack: { value: unknown; name: string; at: Position }[] = [{ value: event, name: "", at: ROOT }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, name, at } = next;
    if (Array.isArray(value)) {
      if (seen.has(value)) continue;
      seen.add(value);
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], name, at: { parent: at, depth: at.depth + 1, inArray: true } });
      }
    } else if (isObject(value)) {
      if (seen.has(value)) continue;
      seen.add(value);
      for (const key of Object.keys(value)) {
        const child = name === "" && at === ROOT ? key : `${name}.${key}`;
        if (!pattern.names.has(child) && !pattern.prefixes.has(child)) continue;
        stack.push({
          value: value[key],
          name: child,
          at: { parent: at, depth: at.depth + 1, inArray: false },
        });
      }
    } else if (isLeaf(value) && pattern.names.has(name)) {
      const list = fields.get(name);
      if (list) list.push({ value, at });
      else fields.set(name, [{ value, at }]);
    }
  }
  return fields;
}

/** Two positions conflict when they part ways at an array: they are in different elements of it. */
function consistent(a: Position, b: Position): boolean {
  let x: Position | undefined = a;
  let y: Position | undefined = b;
  while (x && y && x.depth > y.depth) x = x.parent;
  while (x && y && y.depth > x.depth) y = y.parent;
  if (x === y) return true;
  while (x && y && x.parent !== y.parent) {
    x = x.parent;
    y = y.parent;
  }
  return !(x?.inArray ?? false);
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

/** EventBridge rejects a pattern whose `$or`s multiply out to more alternatives than this. */
const MAX_COMBINATIONS = 1000;

function compileRoot(pattern: unknown, errors: string[]): readonly CompiledPattern[] {
  if (!isObject(pattern)) {
    const hint =
      typeof pattern === "string"
        ? "; if this is JSON text, JSON.parse it first"
        : ', e.g. { "source": ["aws.ecr"], "detail-type": ["ECR Image Action"] }';
    errors.push(`(pattern): an event pattern must be a JSON object of fields, got ${show(pattern)}${hint}`);
    return [];
  }
  validateObject(pattern, [], errors, new Set(), false);
  if (errors.length > 0) return [];
  const combinations = countCombinations(pattern);
  if (combinations > MAX_COMBINATIONS) {
    errors.push(
      `(pattern): the $or alternatives multiply out to ${combinations > 1e9 ? "over a billion" : combinations} combinations, ` +
        `over EventBridge's limit of ${MAX_COMBINATIONS}; split the rule into several rules or list values in one leaf`,
    );
    return [];
  }
  return expand(pattern, "").map(compileAlternative);
}

function validateObject(
  pattern: EventObject,
  path: Path,
  errors: string[],
  ancestors: Set<object>,
  insideOr: boolean,
): void {
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    errors.push(
      `${at(path)}: an empty object constrains nothing (a rule with it matches every event); name at least one field or remove it`,
    );
  }
  if (ancestors.has(pattern)) {
    errors.push(`${at(path)}: the pattern contains itself; patterns must be finite JSON data`);
    return;
  }
  ancestors.add(pattern);
  for (const key of keys) {
    const value = pattern[key];
    const fieldPath = [...path, key];
    if (key === "$or") {
      validateOr(value, fieldPath, errors, ancestors);
    } else if (insideOr && RESERVED_IN_OR.has(key)) {
      errors.push(
        `${at(fieldPath)}: "${key}" is a matcher name, which EventBridge does not accept as a field name inside $or; ` +
          `write the matcher inside a leaf array: "field": [{ "${key}": … }]`,
      );
    } else if (Array.isArray(value)) {
      compileLeaf(key, value, fieldPath, errors);
    } else if (isObject(value)) {
      validateObject(value, fieldPath, errors, ancestors, insideOr);
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
}

function validateOr(value: unknown, path: Path, errors: string[], ancestors: Set<object>): void {
  if (!Array.isArray(value) || value.length < 2) {
    errors.push(
      `${at(path)}: $or must be an array of at least two sub-patterns (objects), got ${show(value)}; ` +
        "for a single alternative, put its fields directly in the parent object",
    );
    return;
  }
  value.forEach((alternative, index) => {
    if (isObject(alternative)) validateObject(alternative, [...path, index], errors, ancestors, true);
    else
      errors.push(
        `${at([...path, index])}: each $or alternative must be an object of fields, got ${show(alternative)}`,
      );
  });
}

/** Field names event-ruler reserves inside `$or` (its Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP). */
const RESERVED_IN_OR: ReadonlySet<string> = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/** How many `$or`-free alternatives the pattern stands for (the product of its `$or`s' sizes). */
function countCombinations(pattern: EventObject): number {
  let count = 1;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === "$or") {
      count *= (value as EventObject[]).reduce((sum, branch) => sum + countCombinations(branch), 0);
    } else if (isObject(value)) {
      count *= countCombinations(value);
    }
    if (count > MAX_COMBINATIONS) return count;
  }
  return count;
}

/** A flattened alternative: each field's dotted path (as event-ruler names fields) to its leaf array. */
type Flat = ReadonlyMap<string, readonly unknown[]>;

/**
 * The pattern as `$or`-free alternatives, flattened to dotted paths as event-ruler compiles rules. A later
 * field with the same path replaces an earlier one, so a field repeated inside a `$or` branch overrides the
 * parent's condition for that branch.
 */
function expand(pattern: EventObject, prefix: string): Flat[] {
  let rows: Flat[] = [new Map()];
  for (const [key, value] of Object.entries(pattern)) {
    const alternatives: Flat[] =
      key === "$or"
        ? (value as EventObject[]).flatMap((branch) => expand(branch, prefix))
        : Array.isArray(value)
          ? [new Map([[`${prefix}${key}`, value]])]
          : expand(value as EventObject, `${prefix}${key}.`);
    rows = rows.flatMap((row) => alternatives.map((alternative) => new Map([...row, ...alternative])));
  }
  return rows;
}

// Only called on validated patterns: compiling again cannot report anything new.
function compileAlternative(flat: Flat): CompiledPattern {
  const fields = [...flat]
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([name, items]) => compileLeaf(name, items, [], []));
  const prefixes = new Set<string>();
  for (const { name } of fields) {
    for (let dot = name.indexOf("."); dot >= 0; dot = name.indexOf(".", dot + 1))
      prefixes.add(name.slice(0, dot));
  }
  return { fields, names: new Set(fields.map((field) => field.name)), prefixes };
}

function compileLeaf(name: string, items: readonly unknown[], path: Path, errors: string[]): LeafRule {
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
  return { name, accepts, whenPresent, whenAbsent };
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
    return stringTest(ignoringCase(argument, "equals"));
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

/**
 * Ignore-case matching as event-ruler does it: each UTF-16 unit of the pattern stands for its own lower-case or
 * upper-case form (Locale.ROOT, so "ß" also matches "SS"), and the event's value is taken as it is, unfolded.
 * A lone surrogate is what Java encodes it as in UTF-8: "?". The forms can differ in length, so the match tracks
 * every position the pattern can have reached (at most value.length + 1 of them).
 */
function ignoringCase(pattern: string, mode: "equals" | "prefix" | "suffix"): (value: string) => boolean {
  const units = [...Array(pattern.length).keys()].map((i) => {
    const unit = pattern.charAt(i);
    if (/[\uD800-\uDFFF]/.test(unit)) return ["?"];
    const lower = unit.toLowerCase();
    const upper = unit.toUpperCase();
    return lower === upper ? [lower] : [lower, upper];
  });
  if (mode === "suffix") units.reverse();
  return (value) => {
    let positions = new Set([mode === "suffix" ? value.length : 0]);
    for (const forms of units) {
      const next = new Set<number>();
      for (const position of positions) {
        for (const form of forms) {
          if (mode === "suffix") {
            if (value.startsWith(form, position - form.length) && position >= form.length)
              next.add(position - form.length);
          } else if (value.startsWith(form, position)) next.add(position + form.length);
        }
      }
      if (next.size === 0) return false;
      positions = next;
    }
    return mode !== "equals" || positions.has(value.length);
  };
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
    return stringTest(ignoringCase(ignoreCase, name));
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
      const tests = values.map((v) => ignoringCase(v, "equals"));
      return (value) => tests.some((test) => test(value));
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

// Addresses are read as event-ruler reads them (CIDR.java): only text shaped like dotted IPv4 or hex-and-colon
// IPv6 is an address (so "::ffff:10.0.0.1" and "fe80::1%eth0" are plain strings), IPv4 parts may have leading
// zeros, and an IPv4-mapped IPv6 address is the IPv4 address it maps. Mask limits follow event-ruler too
// (IPv4 /0–/31, IPv6 /0–/127): AWS rejects a CIDR covering a single address.
function compileCidr(argument: unknown, path: Path, errors: string[]): Alternative | undefined {
  const [address = "", bits, ...extra] = typeof argument === "string" ? argument.split("/") : [];
  if (typeof argument !== "string" || bits === undefined || extra.length > 0 || !/^\d{1,3}$/.test(bits)) {
    errors.push(
      `${at(path)}: cidr takes "address/bits" such as "10.0.0.0/24" or "2001:db8::/32", got ${show(argument)}`,
    );
    return undefined;
  }
  const base = addressBytes(address);
  if (base === undefined) {
    errors.push(
      `${at(path)}: ${show(address)} is not an IPv4 or IPv6 address as EventBridge reads them; write e.g. "10.0.0.0/24" or "2001:db8::/32"`,
    );
    return undefined;
  }
  const family = base.length === 4 ? 4 : 6;
  const maxBits = family === 4 ? 31 : 127;
  if (Number(bits) > maxBits) {
    errors.push(
      `${at(path)}: an IPv${family} CIDR takes at most ${maxBits} mask bits, got ${bits}; for one address, list it as an exact value: [${show(address)}]`,
    );
    return undefined;
  }
  const fixed = Number(bits);
  const bottom = hex(base.map((byte, i) => byte & hostMask(i, fixed, true)));
  const top = hex(base.map((byte, i) => byte | hostMask(i, fixed, false)));
  // event-ruler compares hex digits as far as the shorter side goes, so an IPv6 address whose first four bytes
  // fall in an IPv4 range matches it, and the other way round.
  return stringTest((value) => {
    const bytes = addressBytes(value);
    if (bytes === undefined) return false;
    const digits = hex(bytes);
    const n = Math.min(digits.length, bottom.length);
    const head = digits.slice(0, n);
    return bottom.slice(0, n) <= head && head <= top.slice(0, n);
  });
}

/** For byte `index` of an address with `fixed` network bits: the bits to clear (bottom) or set (top). */
function hostMask(index: number, fixed: number, bottom: boolean): number {
  const networkBits = Math.max(0, Math.min(8, fixed - index * 8));
  const host = 0xff >> networkBits;
  return bottom ? ~host & 0xff : host;
}

function hex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).padStart(2, "0").toUpperCase()).join("");
}

const IPV4_TEXT = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_TEXT = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

function addressBytes(text: string): number[] | undefined {
  if (IPV4_TEXT.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((part) => part <= 255) ? parts : undefined;
  }
  if (!IPV6_TEXT.test(text) || isIP(text) !== 6) return undefined;
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  const bytes = groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}
