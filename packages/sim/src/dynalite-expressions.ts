import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * dynalite parses every request's expressions with PEG parsers that do not memoise: a condition
 * with nested parentheses (the store's fenced updates) costs milliseconds of backtracking per
 * request, the same expression every time. This keeps each successful parse as a template, keyed
 * by everything the parse reads, and hands dynalite a fresh copy with the request's own values.
 *
 * What a parse reads: the expression, `ExpressionAttributeNames` (names are resolved into the
 * tree), and of each `ExpressionAttributeValues` entry only its type (operand type checks) —
 * except in `BETWEEN` (compares the bounds) and `attribute_type` (reads the type name), whose
 * expressions are never cached. A parse that fails (a thrown syntax error, or the error string
 * dynalite's grammar returns) is not cached either: it runs again, as before, every time.
 * Values are placed in the tree by reference (dynalite's `resolveAttrVal`), so a copy swaps the
 * template's value objects for the request's; everything else in a tree is plain data.
 */

interface ParseContext {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, Record<string, unknown>>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  [other: string]: unknown;
}

interface Parser {
  parse(input: string, options?: { context?: ParseContext }): unknown;
}

interface Template {
  tree: unknown;
  /** The template's value objects, by their placeholder. */
  values: Map<object, string>;
  /** Placeholders the expression uses: the parse deletes them from the request's "unused" sets. */
  usedNames: string[];
  usedVals: string[];
}

/** dynalite's attribute types, in the order its grammar tests them (getImmediateType). */
const TYPES = ["S", "N", "B", "NULL", "BOOL", "SS", "NS", "BS", "L", "M"] as const;
const VALUE_DEPENDENT = /between|attribute_type/i;
const LIMIT = 2_000;

const typeOf = (value: Record<string, unknown> | undefined): string =>
  TYPES.find((t) => value?.[t] !== undefined && value?.[t] !== null) ?? "";

function keyOf(input: string, context: ParseContext): string {
  const names = context.attrNames ? JSON.stringify(context.attrNames) : "";
  let values = "";
  for (const [name, value] of Object.entries(context.attrVals ?? {})) values += `${name}:${typeOf(value)},`;
  return `${input}\u0000${names}\u0000${values}`;
}

function copy(node: unknown, template: Template, values: Record<string, unknown>): unknown {
  if (node === null || typeof node !== "object") return node;
  const placeholder = template.values.get(node);
  if (placeholder !== undefined) return values[placeholder];
  if (Array.isArray(node)) return node.map((n) => copy(n, template, values));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = copy(v, template, values);
  return out;
}

function cached(parser: Parser): Parser["parse"] {
  const original = parser.parse;
  const templates = new Map<string, Template>();
  return function parse(input, options) {
    const context = options?.context;
    if (!context || VALUE_DEPENDENT.test(input)) return original(input, options);
    const key = keyOf(input, context);
    let template = templates.get(key);
    if (!template) {
      // Parse against fresh "unused" sets, to learn which placeholders the expression uses.
      const unusedAttrNames = Object.fromEntries(Object.keys(context.attrNames ?? {}).map((k) => [k, true]));
      const unusedAttrVals = Object.fromEntries(Object.keys(context.attrVals ?? {}).map((k) => [k, true]));
      let tree: unknown;
      try {
        tree = original(input, { ...options, context: { ...context, unusedAttrNames, unusedAttrVals } });
      } catch {
        return original(input, options);
      }
      if (tree === null || typeof tree !== "object") return original(input, options);
      const attrVals = context.attrVals ?? {};
      template = {
        tree,
        values: new Map(Object.entries(attrVals).map(([k, v]) => [v as object, k])),
        usedNames: Object.keys(context.attrNames ?? {}).filter((k) => !(k in unusedAttrNames)),
        usedVals: Object.keys(attrVals).filter((k) => !(k in unusedAttrVals)),
      };
      if (templates.size >= LIMIT) templates.clear();
      templates.set(key, template);
    }
    for (const name of template.usedNames) if (context.unusedAttrNames) delete context.unusedAttrNames[name];
    for (const name of template.usedVals) if (context.unusedAttrVals) delete context.unusedAttrVals[name];
    return copy(template.tree, template, context.attrVals ?? {});
  };
}

let installed = false;

/**
 * Puts the template cache in front of dynalite's condition, update and projection parsers (the
 * module objects dynalite's validations call `parse` on). Once per process.
 */
export function cacheDynaliteExpressions(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const db = join(dirname(require.resolve("dynalite")), "db");
  for (const name of ["conditionParser", "updateParser", "projectionParser"]) {
    const parser = require(join(db, `${name}.js`)) as Parser;
    parser.parse = cached(parser);
  }
}
