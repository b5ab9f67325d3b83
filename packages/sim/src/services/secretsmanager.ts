import { randomInt } from "node:crypto";
import { fail } from "../errors.ts";
import { IMPLIED_PERMISSIONS, type OnBehalf } from "../iam.ts";
import type { Kernel, KmsKeyRef } from "../kernel.ts";

interface SecretVersion {
  VersionId: string;
  /** Absent while a rotation has staged the version but createSecret has not put its value yet. */
  SecretString?: string;
  stages: Set<string>;
  CreatedDate: Date;
}

interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
}

interface SecretRecord {
  Name: string;
  ARN: string;
  /** Secrets are regional: a client reaches its region's secrets only. */
  region: string;
  /** The customer managed KMS key that protects the secret's values; absent: the AWS managed aws/secretsmanager. */
  kmsKey?: KmsKeyRef;
  /** The KmsKeyId as given (a key ID, key ARN or alias ARN), which DescribeSecret reports. */
  KmsKeyId?: string;
  versions: Map<string, SecretVersion>;
  RotationEnabled: boolean;
  RotationLambdaARN?: string;
  RotationRules?: RotationRules;
  LastRotatedDate?: Date;
  CreatedDate: Date;
}

/** One run of a rotation function driven by RotateSecret: which steps ran, and how it ended. */
export interface RotationRun {
  readonly secret: string;
  readonly token: string;
  readonly steps: string[];
  error?: { step: string; errorType: string; errorMessage: string };
}

const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const CHARSETS = {
  ExcludeLowercase: "abcdefghijklmnopqrstuvwxyz",
  ExcludeUppercase: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ExcludeNumbers: "0123456789",
  ExcludePunctuation: PUNCTUATION,
} as const;
const TOKEN = /^[A-Za-z0-9-]{32,64}$/;
const DAY_MS = 86_400_000;

/**
 * Secrets Manager: secrets, versions and staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS),
 * ClientRequestToken idempotency, UpdateSecretVersionStage, GetRandomPassword, and RotateSecret
 * driving the configured rotation function through the four steps as AWS does.
 */
export class SecretsManagerService {
  readonly #kernel: Kernel;
  /** By `region/name`. */
  readonly #secrets = new Map<string, SecretRecord>();
  readonly rotations: RotationRun[] = [];

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /**
   * A secret with `value` as AWSCURRENT, in `region` (the account's by default), protected by the
   * KMS key `kmsKeyId` names there (a customer managed key; absent: aws/secretsmanager).
   */
  seedSecret(name: string, value: string, options: { region?: string; kmsKeyId?: string } = {}): string {
    const region = options.region ?? this.#kernel.region;
    const existing = this.#secrets.get(`${region}/${name}`);
    if (existing) return existing.ARN;
    return this.#kernel.inRegion(region, () => {
      const key = options.kmsKeyId === undefined ? undefined : this.#key(options.kmsKeyId);
      return this.#create(name, value, this.#kernel.newId(), key && { key, id: options.kmsKeyId as string })
        .ARN;
    });
  }

  /** Turns rotation on without rotating (what the stack's rotation schedule does); unknown secrets are skipped. */
  configureRotation(id: string, rotation: { lambdaArn: string; scheduleExpression: string }): void {
    const secret =
      this.#secrets.get(`${this.#kernel.region}/${id}`) ??
      [...this.#secrets.values()].find((s) => s.ARN === id);
    if (!secret) return;
    secret.RotationEnabled = true;
    secret.RotationLambdaARN = rotation.lambdaArn;
    secret.RotationRules = { ScheduleExpression: rotation.scheduleExpression };
  }

  /** Names and ARNs of every secret, for reports. */
  list(): { Name: string; ARN: string }[] {
    return [...this.#secrets.values()].map((s) => ({ Name: s.Name, ARN: s.ARN }));
  }

  /**
   * Secret actions are authorized on the secret's ARN (its name plus six random characters); a
   * secret that does not exist on the ARN its name would start; GetRandomPassword and
   * ListSecrets on "*" (Service Authorization Reference, AWS Secrets Manager).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const id = String((action === "CreateSecret" ? input.Name : input.SecretId) ?? "");
    if (!id) return ["*"];
    const region = this.#kernel.clientRegion();
    const secret = this.#secrets.get(`${region}/${id}`) ?? this.#here().find((s) => s.ARN === id);
    return [
      secret?.ARN ??
        (id.startsWith("arn:") ? id : this.#kernel.arn("secretsmanager", `secret:${id}`, region)),
    ];
  }

  async handle(action: string, input: Record<string, unknown>): Promise<unknown> {
    switch (action) {
      case "CreateSecret":
        return this.#createSecret(input);
      case "GetSecretValue":
        return this.#get(input);
      case "PutSecretValue":
        return this.#putSecretValue(input);
      case "DescribeSecret":
        return this.#describe(this.#secret(input.SecretId));
      case "ListSecrets":
        return { SecretList: this.#here().map((s) => this.#describe(s)) };
      case "UpdateSecretVersionStage":
        return this.#updateStage(input);
      case "GetRandomPassword":
        return { RandomPassword: randomPassword(input) };
      case "RotateSecret":
        return this.#rotate(input);
      case "CancelRotateSecret": {
        const secret = this.#secret(input.SecretId);
        secret.RotationEnabled = false;
        return { ARN: secret.ARN, Name: secret.Name };
      }
      default:
        return fail("InvalidRequestException", `the simulated Secrets Manager does not implement ${action}`);
    }
  }

  /** The secrets of the calling client's region. */
  #here(): SecretRecord[] {
    const region = this.#kernel.clientRegion();
    return [...this.#secrets.values()].filter((s) => s.region === region);
  }

  /**
   * The KMS key a KmsKeyId names in the caller's region: "the KMS key must be in the same account
   * and Region as the secret" (CreateSecret, KmsKeyId,
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
   */
  #key(id: string): KmsKeyRef {
    const key = this.#kernel.resolveKey(id);
    if (!key)
      return fail(
        "InvalidParameterException",
        `The KMS key ${id} does not exist in ${this.#kernel.clientRegion()}: name a symmetric key of the secret's Region.`,
      );
    return key;
  }

  /**
   * Secrets Manager uses a customer managed key with the caller's permissions (`why`: decrypt to
   * read a value, encrypt a new one), with the secret's ARN and version as encryption context,
   * through secretsmanager.<region>.amazonaws.com; the AWS managed key needs nothing of the caller
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html,
   * "Permissions for the KMS key", "Secrets Manager encryption context").
   */
  #useKey(
    secret: SecretRecord,
    why: Extract<OnBehalf, "cmk-decrypt" | "cmk-encrypt">,
    versionId: string,
  ): void {
    const key = secret.kmsKey;
    if (!key?.customerManaged) return;
    for (const action of IMPLIED_PERMISSIONS[why].actions)
      this.#kernel.authorize(action, [key.arn], {
        "kms:EncryptionContext:SecretARN": secret.ARN,
        "kms:EncryptionContext:SecretVersionId": versionId,
        "kms:ViaService": `secretsmanager.${secret.region}.amazonaws.com`,
        "kms:CallerAccount": this.#kernel.accountId,
        "kms:ResourceAliases": key.aliases,
      });
  }

  #create(
    name: string,
    value: string | undefined,
    token: string,
    kms?: { key: KmsKeyRef; id: string },
  ): SecretRecord {
    const region = this.#kernel.clientRegion();
    const record: SecretRecord = {
      Name: name,
      ARN: this.#kernel.arn("secretsmanager", `secret:${name}-${suffix(name)}`, region),
      region,
      ...(kms ? { kmsKey: kms.key, KmsKeyId: kms.id } : {}),
      versions: new Map(),
      RotationEnabled: false,
      CreatedDate: this.#kernel.clock.date(),
    };
    if (value !== undefined) this.#useKey(record, "cmk-encrypt", token);
    this.#secrets.set(`${region}/${name}`, record);
    if (value !== undefined) this.#put(record, value, token, ["AWSCURRENT"]);
    return record;
  }

  #createSecret(input: Record<string, unknown>): unknown {
    const name = String(input.Name ?? "");
    if (!name) return fail("InvalidParameterException", "You must provide a value for Name.");
    if (this.#secrets.has(`${this.#kernel.clientRegion()}/${name}`))
      return fail(
        "ResourceExistsException",
        `The operation failed because the secret ${name} already exists.`,
      );
    const token = this.#token(input.ClientRequestToken);
    const kmsKeyId = stringOrUndefined(input.KmsKeyId);
    const key = kmsKeyId === undefined ? undefined : { key: this.#key(kmsKeyId), id: kmsKeyId };
    const secret = this.#create(name, stringOrUndefined(input.SecretString), token, key);
    return { ARN: secret.ARN, Name: secret.Name, ...(secret.versions.size ? { VersionId: token } : {}) };
  }

  #putSecretValue(input: Record<string, unknown>): unknown {
    const secret = this.#secret(input.SecretId);
    if (typeof input.SecretString !== "string")
      return fail("InvalidParameterException", "You must provide either SecretString or SecretBinary.");
    const stages = (input.VersionStages as string[] | undefined) ?? ["AWSCURRENT"];
    const token = this.#token(input.ClientRequestToken);
    this.#useKey(secret, "cmk-encrypt", token);
    const version = this.#put(secret, input.SecretString, token, stages);
    return {
      ARN: secret.ARN,
      Name: secret.Name,
      VersionId: version.VersionId,
      VersionStages: [...version.stages],
    };
  }

  #token(raw: unknown): string {
    if (raw === undefined) return this.#kernel.newId();
    const token = String(raw);
    if (!TOKEN.test(token))
      return fail(
        "InvalidParameterException",
        "ClientRequestToken must be 32 to 64 letters, digits or hyphens (a UUID is the usual choice).",
      );
    return token;
  }

  #secret(id: unknown): SecretRecord {
    const key = String(id ?? "");
    // A partial ARN (without the "-" and six random characters) finds the secret whose full ARN
    // it begins: https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
    const here = this.#here();
    const secret =
      this.#secrets.get(`${this.#kernel.clientRegion()}/${key}`) ??
      here.find((s) => s.ARN === key) ??
      here.find((s) => key.startsWith("arn:") && s.ARN === `${key}-${s.ARN.slice(-6)}`);
    if (!secret) return fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return secret;
  }

  #describe(secret: SecretRecord): unknown {
    const days =
      secret.RotationRules?.AutomaticallyAfterDays ?? daysOf(secret.RotationRules?.ScheduleExpression);
    return {
      ARN: secret.ARN,
      Name: secret.Name,
      ...(secret.KmsKeyId ? { KmsKeyId: secret.KmsKeyId } : {}),
      RotationEnabled: secret.RotationEnabled,
      ...(secret.RotationLambdaARN ? { RotationLambdaARN: secret.RotationLambdaARN } : {}),
      ...(secret.RotationRules ? { RotationRules: { ...secret.RotationRules } } : {}),
      ...(secret.LastRotatedDate ? { LastRotatedDate: secret.LastRotatedDate } : {}),
      ...(secret.RotationEnabled && days
        ? {
            NextRotationDate: new Date(
              (secret.LastRotatedDate ?? secret.CreatedDate).getTime() + days * DAY_MS,
            ),
          }
        : {}),
      CreatedDate: secret.CreatedDate,
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions.values()]
          .filter((v) => v.stages.size > 0)
          .map((v) => [v.VersionId, [...v.stages]]),
      ),
    };
  }

  #get(input: Record<string, unknown>): unknown {
    const secret = this.#secret(input.SecretId);
    const stage = (input.VersionStage as string | undefined) ?? (input.VersionId ? undefined : "AWSCURRENT");
    const version = [...secret.versions.values()].find(
      (v) =>
        (input.VersionId === undefined || v.VersionId === input.VersionId) && (!stage || v.stages.has(stage)),
    );
    if (!version || version.SecretString === undefined) {
      return fail(
        "ResourceNotFoundException",
        input.VersionId
          ? `Secrets Manager can't find the specified secret value for VersionId: ${String(input.VersionId)}`
          : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    this.#useKey(secret, "cmk-decrypt", version.VersionId);
    return {
      ARN: secret.ARN,
      Name: secret.Name,
      VersionId: version.VersionId,
      SecretString: version.SecretString,
      VersionStages: [...version.stages],
      CreatedDate: version.CreatedDate,
    };
  }

  #put(secret: SecretRecord, value: string, token: string, stages: string[]): SecretVersion {
    const existing = secret.versions.get(token);
    if (existing?.SecretString !== undefined) {
      if (existing.SecretString !== value) {
        return fail(
          "ResourceExistsException",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return existing;
    }
    for (const stage of stages) this.#moveStage(secret, stage, token);
    const version = existing ?? {
      VersionId: token,
      stages: new Set<string>(),
      CreatedDate: this.#kernel.clock.date(),
    };
    version.SecretString = value;
    for (const stage of stages) version.stages.add(stage);
    secret.versions.set(token, version);
    return version;
  }

  /** Takes `stage` off every other version; AWSCURRENT leaving a version leaves AWSPREVIOUS behind. */
  #moveStage(secret: SecretRecord, stage: string, to: string): void {
    if (stage === "AWSCURRENT") {
      const current = [...secret.versions.values()].find((v) => v.stages.has("AWSCURRENT"));
      if (current && current.VersionId !== to) {
        for (const v of secret.versions.values()) v.stages.delete("AWSPREVIOUS");
        current.stages.delete("AWSCURRENT");
        current.stages.add("AWSPREVIOUS");
      }
      return;
    }
    for (const v of secret.versions.values()) if (v.VersionId !== to) v.stages.delete(stage);
  }

  #updateStage(input: Record<string, unknown>): unknown {
    const secret = this.#secret(input.SecretId);
    const stage = String(input.VersionStage ?? "");
    if (!stage) return fail("InvalidParameterException", "You must provide a value for VersionStage.");
    const move = stringOrUndefined(input.MoveToVersionId);
    const remove = stringOrUndefined(input.RemoveFromVersionId);
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (holder && holder.VersionId !== move && holder.VersionId !== remove) {
      return fail(
        "InvalidParameterException",
        `The staging label ${stage} is currently attached to version ${holder.VersionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (remove) {
      const from = secret.versions.get(remove);
      if (!from?.stages.has(stage))
        return fail(
          "InvalidParameterException",
          `The staging label ${stage} is not attached to version ${remove}, so RemoveFromVersionId cannot name it.`,
        );
    }
    if (move) {
      const target = secret.versions.get(move);
      if (!target || target.SecretString === undefined)
        return fail("ResourceNotFoundException", `Secrets Manager can't find the specified version ${move}.`);
      this.#moveStage(secret, stage, move);
      target.stages.add(stage);
    } else if (remove) {
      if (stage === "AWSCURRENT")
        return fail(
          "InvalidParameterException",
          "You can't remove the AWSCURRENT staging label without moving it.",
        );
      secret.versions.get(remove)?.stages.delete(stage);
    }
    return { ARN: secret.ARN, Name: secret.Name };
  }

  /**
   * Configures rotation and, unless `RotateImmediately` is false, rotates now: stages a new
   * version AWSPENDING under the token and invokes the rotation function with each step in turn,
   * stopping at the first failure (the pending version stays, as in AWS). The steps run before the
   * call returns so the simulation stays deterministic; AWS runs them asynchronously.
   */
  async #rotate(input: Record<string, unknown>): Promise<unknown> {
    const secret = this.#secret(input.SecretId);
    const lambdaArn = stringOrUndefined(input.RotationLambdaARN) ?? secret.RotationLambdaARN;
    if (!lambdaArn)
      return fail(
        "InvalidRequestException",
        "No Lambda rotation function ARN is associated with this secret: pass RotationLambdaARN.",
      );
    // RotateSecret invokes the rotation function with the caller's permissions: the caller needs
    // lambda:InvokeFunction on it (Secrets Manager API Reference, RotateSecret, "Required permissions").
    for (const action of IMPLIED_PERMISSIONS["rotation-function"].actions)
      this.#kernel.authorize(action, [lambdaArn]);
    const token = this.#token(input.ClientRequestToken);
    const pending = [...secret.versions.values()].find(
      (v) => v.stages.has("AWSPENDING") && !v.stages.has("AWSCURRENT"),
    );
    if (pending && pending.VersionId !== token)
      return fail(
        "InvalidRequestException",
        "A previous rotation isn't complete. That rotation will be reattempted.",
      );
    secret.RotationLambdaARN = lambdaArn;
    secret.RotationEnabled = true;
    if (input.RotationRules) secret.RotationRules = { ...(input.RotationRules as RotationRules) };
    if (input.RotateImmediately === false) return { ARN: secret.ARN, Name: secret.Name };
    if (!secret.versions.has(token)) {
      this.#moveStage(secret, "AWSPENDING", token);
      secret.versions.set(token, {
        VersionId: token,
        stages: new Set(["AWSPENDING"]),
        CreatedDate: this.#kernel.clock.date(),
      });
    }
    const run: RotationRun = { secret: secret.Name, token, steps: [] };
    this.rotations.push(run);
    for (const step of STEPS) {
      run.steps.push(step);
      const out = await this.#kernel.invoke(
        lambdaArn,
        { Step: step, SecretId: secret.ARN, ClientRequestToken: token, RotationToken: this.#kernel.newId() },
        { principal: "secretsmanager.amazonaws.com" },
      );
      if (out.error) {
        run.error = { step, ...out.error };
        break;
      }
    }
    if (!run.error) secret.LastRotatedDate = this.#kernel.clock.date();
    return { ARN: secret.ARN, Name: secret.Name, VersionId: token };
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Secrets Manager appends six random characters to a name in the ARN; derived here so ARNs are stable. */
function suffix(name: string): string {
  let h = 7;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).padStart(6, "a").slice(-6);
}

function daysOf(expression: string | undefined): number | undefined {
  const m = /^rate\((\d+) days?\)$/.exec(expression ?? "");
  return m ? Number(m[1]) : undefined;
}

/** GetRandomPassword with its documented options and defaults (32 characters, every type required). */
function randomPassword(input: Record<string, unknown>): string {
  const length = input.PasswordLength === undefined ? 32 : Number(input.PasswordLength);
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    return fail("InvalidParameterException", "PasswordLength must be between 1 and 4096.");
  const excluded = new Set(String(input.ExcludeCharacters ?? ""));
  const sets = Object.entries(CHARSETS)
    .filter(([flag]) => input[flag] !== true)
    .map(([, chars]) => [...chars].filter((c) => !excluded.has(c)).join(""));
  if (input.IncludeSpace === true && !excluded.has(" ")) sets.push(" ");
  const usable = sets.filter((s) => s.length > 0);
  if (usable.length === 0)
    return fail(
      "InvalidParameterException",
      "The options exclude every character: nothing is left to choose from.",
    );
  const requireEach = input.RequireEachIncludedType !== false;
  if (requireEach && length < usable.length)
    return fail(
      "InvalidParameterException",
      "PasswordLength is too short to include each required character type.",
    );
  const all = usable.join("");
  const chars = Array.from({ length }, () => all[randomInt(all.length)] ?? "");
  if (requireEach) {
    const slots = new Set<number>();
    while (slots.size < usable.length) slots.add(randomInt(length));
    [...slots].forEach((slot, i) => {
      const set = usable[i] ?? all;
      chars[slot] = set[randomInt(set.length)] ?? "";
    });
  }
  return chars.join("");
}
