import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * asl-validator (which aws-local-stepfunctions runs on every definition it is given) builds a new
 * Ajv instance for each definition it validates and compiles its fifteen JSON schemas into it
 * anew: about a quarter of a second per definition, five definitions per control plane, paid
 * again by every process that starts one (each test file, the bench, `switchyard dev`).
 *
 * This keeps one Ajv instance per set of asl-validator options and lets asl-validator set it up
 * again each time, as it does a new one: formats are replaced (the same functions for the same
 * options), and a keyword already defined is left as it is instead of throwing "already
 * defined". The schemas are compiled once; validation, error selection and messages are still
 * asl-validator's own code, run as before.
 */

interface AjvInstance {
  getKeyword(keyword: string): unknown;
  addKeyword(definition: { keyword: string | string[] }): AjvInstance;
}
type AjvConstructor = new (options: unknown) => AjvInstance;
type SchemaErrors = (definition: unknown, options: { checkPaths?: boolean; checkArn?: boolean }) => unknown;

let installed = false;

/** Installs the shared Ajv instances in asl-validator's schema check. Once per process. */
export function cacheAslSchemas(): void {
  if (installed) return;
  installed = true;
  // The copy aws-local-stepfunctions itself resolves (it may keep its own under its node_modules).
  const interpreter = createRequire(import.meta.url).resolve("aws-local-stepfunctions");
  const require = createRequire(interpreter);
  const validatorDir = dirname(require.resolve("asl-validator"));
  const checks = require(join(validatorDir, "checks", "json-schema-errors.js")) as {
    jsonSchemaErrors: SchemaErrors;
  };
  // The very module object asl-validator's check reads `default` from when it calls `new Ajv(...)`.
  const ajv = createRequire(join(validatorDir, "checks", "json-schema-errors.js"))("ajv") as {
    default: AjvConstructor;
  };
  const original = checks.jsonSchemaErrors;
  const instances = new Map<string, AjvInstance>();
  checks.jsonSchemaErrors = (definition, options) => {
    const key = `${Boolean(options.checkPaths)}/${Boolean(options.checkArn)}`;
    const Real = ajv.default;
    ajv.default = function SharedAjv(ajvOptions: unknown) {
      let instance = instances.get(key);
      if (!instance) {
        const created = new Real(ajvOptions);
        instance = new Proxy(created, {
          get(target, property, receiver) {
            if (property !== "addKeyword") return Reflect.get(target, property, receiver);
            return (definition: { keyword: string | string[] }) => {
              const names = Array.isArray(definition.keyword) ? definition.keyword : [definition.keyword];
              return names.every((name) => target.getKeyword(name))
                ? receiver
                : target.addKeyword(definition);
            };
          },
        });
        instances.set(key, instance);
      }
      return instance;
    } as unknown as AjvConstructor;
    // The check is synchronous: nothing else can construct an Ajv while `default` is swapped.
    try {
      return original(definition, options);
    } finally {
      ajv.default = Real;
    }
  };
}
