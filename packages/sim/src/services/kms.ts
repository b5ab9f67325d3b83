import { randomUUID } from "node:crypto";
import { fail } from "../errors.ts";
import type { Kernel, KmsKeyRef } from "../kernel.ts";

interface KeyRecord {
  readonly region: string;
  readonly KeyId: string;
  readonly Arn: string;
  /** CUSTOMER for a customer managed key, AWS for an AWS managed key (aws/secretsmanager). */
  readonly KeyManager: "CUSTOMER" | "AWS";
  readonly CreationDate: Date;
  Description: string;
}

const ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const KEY_ARN = /^arn:[^:]+:kms:([^:]+):(\d{12}):key\/(.+)$/;
const ALIAS_ARN = /^arn:[^:]+:kms:([^:]+):(\d{12}):(alias\/.+)$/;

/**
 * A minimal AWS KMS: symmetric keys and their aliases, by region. A KMS key lives in one region
 * and a client reaches its region's keys only; an alias names one key of its region
 * (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html, "AWS KMS keys";
 * https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html). A key is named by its key
 * ID, its key ARN, an alias name ("alias/…") or an alias ARN
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html, KeyId). No
 * cryptography: what the simulated account needs is which key protects a secret, and who may use it.
 */
export class KmsService {
  readonly #kernel: Kernel;
  /** By `region/keyId`. */
  readonly #keys = new Map<string, KeyRecord>();
  /** By `region/alias/name` → key ID. */
  readonly #aliases = new Map<string, string>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /**
   * A customer managed key in `region` (the account's by default), optionally with an alias; the
   * key ID is a fresh UUID unless given (a key ARN from a config names its own).
   */
  seedKey(
    options: { region?: string; keyId?: string; alias?: string; description?: string } = {},
  ): KmsKeyRef {
    const region = options.region ?? this.#kernel.region;
    const key = this.#create(region, options.keyId ?? randomUUID(), options.description ?? "");
    if (options.alias) this.#alias(region, options.alias, key.KeyId);
    return this.#ref(key);
  }

  /**
   * Creates what a config's key ARN or alias ARN names, in the region the ARN spells: the key
   * (with that key ID), or a new key under that alias. What already exists is kept.
   */
  seedFromArn(arn: string): KmsKeyRef {
    const existing = this.resolve(arn);
    if (existing) return existing;
    const key = KEY_ARN.exec(arn);
    if (key?.[1] && key[3]) return this.seedKey({ region: key[1], keyId: key[3] });
    const alias = ALIAS_ARN.exec(arn);
    if (alias?.[1] && alias[3]) return this.seedKey({ region: alias[1], alias: alias[3] });
    throw new Error(`not a KMS key ARN or alias ARN: ${arn}`);
  }

  /** The key `id` names in `region` (the calling client's by default), or undefined. */
  resolve(id: string, region = this.#kernel.clientRegion()): KmsKeyRef | undefined {
    const key = this.#find(id, region);
    return key ? this.#ref(key) : undefined;
  }

  /**
   * DescribeKey and the aliases' key actions are authorized on the key ARN; CreateKey and
   * ListAliases on "*" (Service Authorization Reference, AWS Key Management Service).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    if (action === "CreateKey" || action === "ListAliases") return ["*"];
    const id = String(input.TargetKeyId ?? input.KeyId ?? "");
    const key = this.#find(id, this.#kernel.clientRegion());
    const keyArn = key?.Arn ?? (id.startsWith("arn:") ? id : this.#kernel.arn("kms", `key/${id}`));
    if (action === "CreateAlias") return [this.#kernel.arn("kms", String(input.AliasName ?? "")), keyArn];
    return [keyArn];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    const region = this.#kernel.clientRegion();
    switch (action) {
      case "CreateKey": {
        const key = this.#create(region, randomUUID(), String(input.Description ?? ""));
        return { KeyMetadata: this.#metadata(key) };
      }
      case "DescribeKey":
        return { KeyMetadata: this.#metadata(this.#required(input.KeyId, region)) };
      case "CreateAlias": {
        const name = String(input.AliasName ?? "");
        const key = this.#required(input.TargetKeyId, region);
        this.#alias(region, name, key.KeyId);
        return {};
      }
      case "ListAliases":
        return {
          Aliases: [...this.#aliases]
            .filter(([k]) => k.startsWith(`${region}/`))
            .map(([k, keyId]) => ({
              AliasName: k.slice(region.length + 1),
              AliasArn: this.#kernel.arn("kms", k.slice(region.length + 1), region),
              TargetKeyId: keyId,
            })),
        };
      default:
        return fail("UnsupportedOperationException", `the simulated KMS does not implement ${action}`);
    }
  }

  #create(region: string, keyId: string, description: string): KeyRecord {
    const existing = this.#keys.get(`${region}/${keyId}`);
    if (existing) return existing;
    const key: KeyRecord = {
      region,
      KeyId: keyId,
      Arn: this.#kernel.arn("kms", `key/${keyId}`, region),
      KeyManager: "CUSTOMER",
      CreationDate: this.#kernel.clock.date(),
      Description: description,
    };
    this.#keys.set(`${region}/${keyId}`, key);
    return key;
  }

  /** An alias names one key in its region; "alias/aws/" is reserved for AWS managed keys (CreateAlias). */
  #alias(region: string, name: string, keyId: string): void {
    if (!ALIAS.test(name) || name.startsWith("alias/aws/"))
      fail(
        "ValidationException",
        `Alias ${name} must begin with "alias/" followed by letters, digits, "/", "_" or "-", and not "alias/aws/".`,
      );
    if (this.#aliases.has(`${region}/${name}`))
      fail(
        "AlreadyExistsException",
        `An alias with the name ${this.#kernel.arn("kms", name, region)} already exists`,
      );
    this.#aliases.set(`${region}/${name}`, keyId);
  }

  #find(id: string, region: string): KeyRecord | undefined {
    const keyArn = KEY_ARN.exec(id);
    if (keyArn) return keyArn[1] === region ? this.#keys.get(`${region}/${keyArn[3]}`) : undefined;
    const aliasArn = ALIAS_ARN.exec(id);
    const alias = aliasArn
      ? aliasArn[1] === region
        ? aliasArn[3]
        : undefined
      : id.startsWith("alias/")
        ? id
        : undefined;
    if (alias !== undefined || aliasArn) {
      const keyId = alias === undefined ? undefined : this.#aliases.get(`${region}/${alias}`);
      return keyId === undefined ? undefined : this.#keys.get(`${region}/${keyId}`);
    }
    return this.#keys.get(`${region}/${id}`);
  }

  #required(id: unknown, region: string): KeyRecord {
    const key = this.#find(String(id ?? ""), region);
    if (!key) return fail("NotFoundException", `Key '${String(id ?? "")}' does not exist`);
    return key;
  }

  #ref(key: KeyRecord): KmsKeyRef {
    return {
      keyId: key.KeyId,
      arn: key.Arn,
      region: key.region,
      customerManaged: key.KeyManager === "CUSTOMER",
      aliases: [...this.#aliases]
        .filter(([k, id]) => id === key.KeyId && k.startsWith(`${key.region}/`))
        .map(([k]) => k.slice(key.region.length + 1)),
    };
  }

  #metadata(key: KeyRecord): Record<string, unknown> {
    return {
      AWSAccountId: this.#kernel.accountId,
      KeyId: key.KeyId,
      Arn: key.Arn,
      CreationDate: key.CreationDate,
      Enabled: true,
      Description: key.Description,
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: key.KeyManager,
      KeySpec: "SYMMETRIC_DEFAULT",
      MultiRegion: false,
    };
  }
}
