import * as z from "zod";
import { isRecord, pattern, strict } from "./zod.ts";

/**
 * The `iam` section: name prefixes the config declares as Switchyard's to deploy, so that the
 * deploy roles are granted one wildcard ARN per prefix instead of one ARN per deployment
 * (docs/decisions/0024-iam-at-scale.md). Without prefixes every grant names its ARNs exactly.
 */

// Lambda function names: letters, digits, "-" and "_" (Lambda API Reference, CreateFunction,
// FunctionName); never IAM's wildcards "*" and "?", which would widen the grant.
const FUNCTION_PREFIX = /^[A-Za-z0-9_-]{2,63}$/;
// ECR repository names: lower-case letters, digits, ".", "_", "-" and "/" (ECR API Reference, CreateRepository).
const REPOSITORY_PREFIX = /^[a-z0-9][a-z0-9._/-]{1,254}$/;

export const IamSchema = strict({
  /**
   * Every Lambda function whose name starts with one of these, in the config's account and
   * region, is Switchyard's to deploy: the deploy roles get `function:<prefix>*`.
   */
  functionPrefixes: z
    .array(
      pattern(
        FUNCTION_PREFIX,
        () =>
          'must be 2 to 63 letters, digits, "-" or "_" (the start of function names, no wildcards), e.g. "svc-"',
      ),
    )
    .default([]),
  /** Every ECR repository whose name starts with one of these is one Switchyard deploys images from. */
  repositoryPrefixes: z
    .array(
      pattern(
        REPOSITORY_PREFIX,
        () =>
          'must be 2 to 255 lower-case letters, digits, ".", "_", "-" or "/" (the start of repository names, no wildcards), e.g. "platform/"',
      ),
    )
    .default([]),
}).prefault({});

/** The declared prefix `name` starts with, if any (the config refuses nested prefixes, so at most one). */
export const coveringPrefix = (name: string, prefixes: readonly string[]): string | undefined =>
  prefixes.find((p) => name.startsWith(p));

/** A deployment's function as a name in the config's account and region, or undefined for a function elsewhere. */
export function localFunctionName(fn: string, region: string, account: string): string | undefined {
  if (!fn.startsWith("arn:")) return fn;
  const match = /^arn:[^:]+:lambda:([^:]+):(\d{12}):function:([^:]+)$/.exec(fn);
  return match && match[1] === region && match[2] === account ? match[3] : undefined;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * A prefix must stand for deployments the config lists (else it grants only what the config does
 * not name), must not hold another declared prefix (one would be redundant), and a function
 * prefix must not reach Switchyard's own functions ("<name>-<stage>-…") or a secret's rotation
 * function: deploy rights on those would let a deployment role rewrite the control plane's code
 * or read the secrets a rotator holds.
 */
export function iamIssues(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (!isRecord(config.iam)) return;
  const deployments = Array.isArray(config.deployments) ? config.deployments.filter(isRecord) : [];
  const region = String(config.region);
  const account = String(config.account);
  const app = str(config.name) ?? "switchyard";
  const functions = deployments.flatMap((d) => {
    const fn = str(d.function);
    const name = fn === undefined ? undefined : localFunctionName(fn, region, account);
    return name === undefined ? [] : [name];
  });
  const repositories = deployments.flatMap((d) => {
    const repository = isRecord(d.image) ? str(d.image.repository) : undefined;
    return repository === undefined ? [] : [repository];
  });
  const rotationFunctions = (Array.isArray(config.secrets) ? config.secrets.filter(isRecord) : []).flatMap(
    (s) => {
      const fn = str(s.rotationFunction);
      const name = fn === undefined ? undefined : localFunctionName(fn, region, account);
      return name === undefined ? [] : [name];
    },
  );
  const check = (field: "functionPrefixes" | "repositoryPrefixes", named: string[], what: string) => {
    const prefixes = strings(config.iam && (config.iam as Record<string, unknown>)[field]);
    prefixes.forEach((prefix, index) => {
      const issue = (message: string) =>
        ctx.addIssue({ code: "custom", path: ["iam", field, index], message });
      const outer = prefixes.findIndex(
        (p, i) => i !== index && prefix.startsWith(p) && (p !== prefix || i < index),
      );
      if (outer !== -1) {
        issue(`"${prefix}" is already covered by iam.${field}[${outer}] ("${prefixes[outer]}"); remove it`);
        return;
      }
      if (!named.some((n) => n.startsWith(prefix))) {
        issue(
          `"${prefix}" starts no ${what} of deployments[], so it grants only what the config does not name; ` +
            "remove it or correct it to the start the deployments' names share",
        );
        return;
      }
      if (field !== "functionPrefixes") return;
      const own = `${app}-`;
      if (own.startsWith(prefix) || prefix.startsWith(own))
        issue(
          `"${prefix}" reaches Switchyard's own functions ("${own}<stage>-…"), which deploy roles must not rewrite; ` +
            "use a prefix that only your deployments' functions share",
        );
      const rotator = rotationFunctions.find((n) => n.startsWith(prefix));
      if (rotator)
        issue(
          `"${prefix}" reaches the rotation function "${rotator}", which holds secrets deploy roles must not reach; ` +
            "use a longer prefix or rename the function",
        );
    });
  };
  check("functionPrefixes", functions, "function");
  check("repositoryPrefixes", repositories, "image repository");
}
