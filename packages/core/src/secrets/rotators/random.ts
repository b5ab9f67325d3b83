import { GetRandomPasswordCommand } from "@aws-sdk/client-secrets-manager";
import { ErrorNames, SwitchyardError } from "../../errors.ts";
import { type Rotator, secretJson } from "../rotator.ts";

type Options = {
  field?: string | undefined;
  length: number;
  excludePunctuation: boolean;
  excludeCharacters: string;
};

/** The object a JSON secret holds, or a clear InvalidSecret naming what is wrong. */
function jsonObject(secret: string, field: string): Record<string, unknown> {
  const value = secretJson(
    secret,
    `the secret is not JSON, but options.field is "${field}": store a JSON object or remove options.field`,
  );
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new SwitchyardError(
      ErrorNames.InvalidSecret,
      `the secret must be a JSON object holding "${field}"`,
    );
  const record = value as Record<string, unknown>;
  if (!(field in record))
    throw new SwitchyardError(
      ErrorNames.InvalidSecret,
      `${field}: missing from the secret; add it, or fix options.field`,
    );
  if (typeof record[field] !== "string")
    throw new SwitchyardError(
      ErrorNames.InvalidSecret,
      `${field}: must be a string, got ${typeof record[field]}`,
    );
  return record;
}

/**
 * API keys and tokens: a fresh value from GetRandomPassword. With `field`, only that key of a
 * JSON secret changes. Nothing outside Secrets Manager holds the value (its consumers read
 * AWSCURRENT), so setSecret has nothing to apply and invalidation drops the leaked version's
 * AWSPREVIOUS label (done by the leak workflow) so nothing can fetch it any more.
 */
export const randomRotator: Rotator<"random"> = {
  name: "random",
  permissions: ["secretsmanager:GetRandomPassword"],
  // Nothing outside Secrets Manager holds the value: there is nothing for set to apply.
  testProvesSet: true,
  validate(secret, options) {
    if (options.field) jsonObject(secret, options.field);
    else if (secret.length === 0) throw new SwitchyardError(ErrorNames.InvalidSecret, "the secret is empty");
  },
  async create(deps, current, options: Options) {
    const out = await deps.clients.secrets.send(
      new GetRandomPasswordCommand({
        PasswordLength: options.length,
        ExcludePunctuation: options.excludePunctuation,
        ...(options.excludeCharacters ? { ExcludeCharacters: options.excludeCharacters } : {}),
        IncludeSpace: false,
        RequireEachIncludedType: true,
      }),
    );
    const token = out.RandomPassword ?? "";
    if (!options.field) return token;
    return JSON.stringify({ ...jsonObject(current, options.field), [options.field]: token });
  },
  async set() {},
  async test(_deps, pending, options) {
    const value = options.field ? String(jsonObject(pending, options.field)[options.field]) : pending;
    if (value.length !== options.length)
      throw new SwitchyardError(
        ErrorNames.TestFailed,
        `the pending token has ${value.length} characters, expected ${options.length}`,
      );
  },
  async invalidate(_deps, leaked, current, options) {
    const read = (s: string) => (options.field ? jsonObject(s, options.field)[options.field] : s);
    if (read(leaked) === read(current))
      throw new SwitchyardError(
        ErrorNames.StillValid,
        "the current token is the leaked one: rotation did not happen",
      );
  },
};
