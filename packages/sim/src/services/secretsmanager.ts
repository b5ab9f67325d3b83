import type { SimulatedAccount } from "../account.ts";
import { fail } from "../errors.ts";

interface SecretVersion {
  VersionId: string;
  SecretString: string;
  stages: Set<string>;
  CreatedDate: Date;
}

interface SecretRecord {
  Name: string;
  ARN: string;
  versions: Map<string, SecretVersion>;
}

/**
 * Secrets Manager: secrets, versions and staging labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS),
 * with ClientRequestToken idempotency on PutSecretValue.
 */
export class SecretsManagerService {
  readonly #account: SimulatedAccount;
  readonly #secrets = new Map<string, SecretRecord>();

  constructor(account: SimulatedAccount) {
    this.#account = account;
  }

  seedSecret(name: string, value: string): string {
    const arn = this.#account.arn("secretsmanager", `secret:${name}-AbCdEf`);
    if (!this.#secrets.has(name)) {
      const record: SecretRecord = { Name: name, ARN: arn, versions: new Map() };
      this.#secrets.set(name, record);
      this.#put(record, value, this.#account.newId(), ["AWSCURRENT"]);
    }
    return arn;
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "GetSecretValue":
        return this.#get(input);
      case "PutSecretValue": {
        const secret = this.#secret(input.SecretId);
        const token = String(input.ClientRequestToken ?? this.#account.newId());
        const stages = (input.VersionStages as string[] | undefined) ?? ["AWSCURRENT"];
        const version = this.#put(secret, String(input.SecretString ?? ""), token, stages);
        return {
          ARN: secret.ARN,
          Name: secret.Name,
          VersionId: version.VersionId,
          VersionStages: [...version.stages],
        };
      }
      case "DescribeSecret": {
        const secret = this.#secret(input.SecretId);
        return {
          ARN: secret.ARN,
          Name: secret.Name,
          VersionIdsToStages: Object.fromEntries(
            [...secret.versions.values()].map((v) => [v.VersionId, [...v.stages]]),
          ),
        };
      }
      default:
        return fail("InvalidRequestException", `the simulated Secrets Manager does not implement ${action}`);
    }
  }

  #secret(id: unknown): SecretRecord {
    const key = String(id ?? "");
    const secret = this.#secrets.get(key) ?? [...this.#secrets.values()].find((s) => s.ARN === key);
    if (!secret) return fail("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    return secret;
  }

  #get(input: Record<string, unknown>): unknown {
    const secret = this.#secret(input.SecretId);
    const stage = (input.VersionStage as string | undefined) ?? (input.VersionId ? undefined : "AWSCURRENT");
    const version = [...secret.versions.values()].find(
      (v) =>
        (input.VersionId === undefined || v.VersionId === input.VersionId) && (!stage || v.stages.has(stage)),
    );
    if (!version) {
      return fail(
        "ResourceNotFoundException",
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
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
    if (existing) {
      if (existing.SecretString !== value) {
        return fail(
          "ResourceExistsException",
          "You can't modify an existing version, you can only create a new version.",
        );
      }
      return existing;
    }
    if (stages.includes("AWSCURRENT")) {
      // The version that was current becomes AWSPREVIOUS; the older previous loses the label.
      for (const v of secret.versions.values()) v.stages.delete("AWSPREVIOUS");
      for (const v of secret.versions.values())
        if (v.stages.delete("AWSCURRENT")) v.stages.add("AWSPREVIOUS");
    }
    for (const stage of stages.filter((s) => s !== "AWSCURRENT")) {
      for (const v of secret.versions.values()) v.stages.delete(stage);
    }
    const version = {
      VersionId: token,
      SecretString: value,
      stages: new Set(stages),
      CreatedDate: this.#account.clock.date(),
    };
    secret.versions.set(token, version);
    return version;
  }
}
