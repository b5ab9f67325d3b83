import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import * as z from "zod";
import type { ManagedSecret } from "../config/schema.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { formatZodIssues } from "../util/zod-error.ts";
import { rotators } from "./registry.ts";
import type { Rotator, RotatorDeps } from "./rotator.ts";

export const ROTATION_STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** What Secrets Manager sends a rotation function; `RotationToken` only on newer invocations. */
const Invocation = z.object({
  Step: z.string({
    error: "missing; Secrets Manager sends one of createSecret, setSecret, testSecret, finishSecret",
  }),
  SecretId: z.string({ error: "missing; the secret's ARN" }).min(1),
  ClientRequestToken: z
    .string({ error: "missing; the version id of the rotation" })
    .regex(/^[A-Za-z0-9-]{32,64}$/, { error: "must be 32 to 64 letters, digits or hyphens (a version id)" }),
  RotationToken: z.string().optional(),
});
export type RotationInvocation = z.output<typeof Invocation>;

export interface RotationDeps extends RotatorDeps {
  readonly secrets: readonly ManagedSecret[];
}

export interface StepResult {
  readonly step: RotationStep;
  readonly secret: string;
  readonly version: string;
  /** done: the step did its work; already: a previous run had done it; current: the version is already AWSCURRENT. */
  readonly outcome: "done" | "already" | "current";
}

type Managed = { entry: ManagedSecret; rotator: Rotator; options: never; arn: string; name: string };

/** Parses an invocation; every problem names its field. */
export function parseInvocation(raw: unknown): RotationInvocation {
  const parsed = Invocation.safeParse(raw);
  if (!parsed.success)
    throw new SwitchyardError(
      ErrorNames.InvalidInvocation,
      `not a Secrets Manager rotation invocation: ${formatZodIssues(parsed.error).join("; ")}`,
    );
  return parsed.data;
}

/**
 * One step of Secrets Manager's rotation protocol. Every check (invocation, rotation enabled,
 * token staged AWSPENDING, a managed secret with a known rotator, the secret's value) happens
 * before any write, and every step is safe to run again: createSecret finds its version, setSecret
 * and the rotators check before they change, finishSecret sees the version already current.
 */
export async function runRotationStep(deps: RotationDeps, raw: unknown): Promise<StepResult> {
  const invocation = parseInvocation(raw);
  const step = invocation.Step as RotationStep;
  if (!ROTATION_STEPS.includes(step))
    throw new SwitchyardError(
      ErrorNames.UnknownStep,
      `unknown step "${invocation.Step}"; Secrets Manager's steps are ${ROTATION_STEPS.join(", ")}`,
    );
  const token = invocation.ClientRequestToken;
  const metadata = await deps.clients.secrets.send(
    new DescribeSecretCommand({ SecretId: invocation.SecretId }),
  );
  const name = metadata.Name ?? invocation.SecretId;
  if (!metadata.RotationEnabled)
    throw new SwitchyardError(
      ErrorNames.NotRotationEnabled,
      `secret ${name} is not enabled for rotation; rotate it with RotateSecret (switchyard configures it from secrets[])`,
    );
  const stages = metadata.VersionIdsToStages?.[token];
  if (!stages)
    throw new SwitchyardError(
      ErrorNames.TokenNotPending,
      `secret ${name} has no version ${token} to rotate to`,
    );
  const result = (outcome: StepResult["outcome"]): StepResult => ({
    step,
    secret: name,
    version: token,
    outcome,
  });
  if (stages.includes("AWSCURRENT")) {
    logger.info(`rotation ${step}: version is already AWSCURRENT, nothing to do`, {
      secret: name,
      version: token,
    });
    return result("current");
  }
  if (!stages.includes("AWSPENDING"))
    throw new SwitchyardError(
      ErrorNames.TokenNotPending,
      `version ${token} of secret ${name} is not staged AWSPENDING (stages: ${stages.join(", ") || "none"})`,
    );
  const managed = await findManaged(deps, metadata);
  const outcome = await STEPS[step](deps, managed, token, metadata);
  logger.info(`rotation ${step}: ${outcome}`, {
    secret: name,
    version: token,
    rotator: managed.entry.rotator,
  });
  return result(outcome);
}

/**
 * The one `secrets[]` entry for the secret Secrets Manager names, by exact identity: an entry's
 * full ARN or name must equal the secret's; a partial ARN (no random suffix) is resolved with
 * DescribeSecret and must come back as this very secret under the very name it spells (a
 * partial ARN `…:secret:prod/api` never matches `prod/api-key`). Two entries for one secret
 * are ambiguous: refused, naming both.
 */
async function findManaged(deps: RotationDeps, metadata: DescribeSecretCommandOutput): Promise<Managed> {
  const name = metadata.Name ?? "";
  const arn = metadata.ARN ?? "";
  const entries: ManagedSecret[] = [];
  for (const s of deps.secrets) if (await namesSecret(deps, s.secretId, { arn, name })) entries.push(s);
  const [entry, other] = entries;
  if (entry && other)
    throw new SwitchyardError(
      ErrorNames.ConfigError,
      `secrets[${entry.name}] and secrets[${other.name}] both name ${arn}: keep one entry per secret`,
    );
  if (!entry)
    throw new SwitchyardError(
      ErrorNames.NotManaged,
      `no secrets[] entry in the config manages ${name}; add one with its rotator`,
    );
  if (entry.rotator === "custom")
    throw new SwitchyardError(
      ErrorNames.NotManaged,
      `secrets[${entry.name}] is rotated by its own function (${entry.rotationFunction}), not Switchyard's`,
    );
  return {
    entry,
    rotator: rotators[entry.rotator as keyof typeof rotators] as Rotator,
    options: entry.options as never,
    arn,
    name,
  };
}

const ARN_NAME = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/;

/** Whether a configured `secretId` (name, full ARN or partial ARN) is exactly this secret. */
async function namesSecret(
  deps: RotationDeps,
  secretId: string,
  secret: { arn: string; name: string },
): Promise<boolean> {
  if (secretId === secret.arn) return true;
  const spelled = ARN_NAME.exec(secretId)?.[1];
  if (spelled === undefined) return secretId === secret.name;
  // Only a partial ARN of this secret can be a prefix of its full ARN; any other ARN is another secret.
  if (!secret.arn.startsWith(`${secretId}-`)) return false;
  try {
    const resolved = await deps.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    return resolved.ARN === secret.arn && resolved.Name === spelled;
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return false;
    throw error;
  }
}

async function value(
  deps: RotationDeps,
  secretId: string,
  select: { VersionStage: string; VersionId?: string },
) {
  const out = await deps.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...select }));
  return out.SecretString ?? "";
}

async function pendingValue(
  deps: RotationDeps,
  secretId: string,
  token: string,
): Promise<string | undefined> {
  try {
    return await value(deps, secretId, { VersionId: token, VersionStage: "AWSPENDING" });
  } catch (error) {
    if ((error as Error).name === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

async function requiredPending(deps: RotationDeps, m: Managed, token: string): Promise<string> {
  const pending = await pendingValue(deps, m.arn, token);
  if (pending === undefined)
    throw new SwitchyardError(
      ErrorNames.TokenNotPending,
      `version ${token} of ${m.name} has no value yet: run createSecret first`,
    );
  m.rotator.validate(pending, m.options);
  return pending;
}

async function currentValue(deps: RotationDeps, m: Managed): Promise<string> {
  const current = await value(deps, m.arn, { VersionStage: "AWSCURRENT" });
  m.rotator.validate(current, m.options);
  return current;
}

const STEPS: Record<
  RotationStep,
  (
    deps: RotationDeps,
    m: Managed,
    token: string,
    metadata: DescribeSecretCommandOutput,
  ) => Promise<"done" | "already">
> = {
  async createSecret(deps, m, token) {
    const current = await currentValue(deps, m);
    if ((await pendingValue(deps, m.arn, token)) !== undefined) return "already";
    const next = await m.rotator.create(deps, current, m.options);
    m.rotator.validate(next, m.options);
    await deps.clients.secrets.send(
      new PutSecretValueCommand({
        SecretId: m.arn,
        ClientRequestToken: token,
        SecretString: next,
        VersionStages: ["AWSPENDING"],
      }),
    );
    return "done";
  },
  async setSecret(deps, m, token, metadata) {
    const current = await currentValue(deps, m);
    const pending = await requiredPending(deps, m, token);
    const hasPrevious = Object.values(metadata.VersionIdsToStages ?? {}).some((s) =>
      s.includes("AWSPREVIOUS"),
    );
    const previous = hasPrevious ? await value(deps, m.arn, { VersionStage: "AWSPREVIOUS" }) : undefined;
    await m.rotator.set(
      deps,
      { current, pending, ...(previous !== undefined ? { previous } : {}) },
      m.options,
    );
    return "done";
  },
  async testSecret(deps, m, token) {
    await m.rotator.test(deps, await requiredPending(deps, m, token), m.options);
    return "done";
  },
  async finishSecret(deps, m, token, metadata) {
    await requiredPending(deps, m, token);
    const current = Object.entries(metadata.VersionIdsToStages ?? {}).find(([, s]) =>
      s.includes("AWSCURRENT"),
    )?.[0];
    await deps.clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: m.arn,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: token,
        ...(current ? { RemoveFromVersionId: current } : {}),
      }),
    );
    return "done";
  },
};
