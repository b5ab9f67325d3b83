import type { Config } from "../../packages/core/src/config/index.ts";
import { SECRET_KEY_CONDITIONS, SECRET_KEY_USES } from "../../packages/core/src/secrets/config-keys.ts";
import type { Statement } from "./iam.ts";
import type { Names } from "./names.ts";

/** A configured secret encrypted with a customer managed key: the secret's ARN pattern and the key. */
export interface SecretKey {
  secretArn: string;
  /** The key ARN or alias ARN the config names. */
  kmsKeyId: string;
  /** The secret's Region: Secrets Manager calls KMS from there. */
  region: string;
}

/** The config's secrets with a `kmsKeyId`. */
export function secretKeys(config: Pick<Config, "secrets">, n: Names): SecretKey[] {
  return config.secrets.flatMap((s) =>
    s.kmsKeyId
      ? [
          {
            secretArn: n.secretArnOf(s.secretId),
            kmsKeyId: s.kmsKeyId,
            region: /^arn:[^:]+:secretsmanager:([^:]+):/.exec(s.secretId)?.[1] ?? n.region,
          },
        ]
      : [],
  );
}

/**
 * Adds, to a role's statements, the KMS actions Secrets Manager uses with the role's permissions
 * (core's SECRET_KEY_USES) for each CMK-encrypted secret the role reads or writes: exactly those
 * actions, on exactly that key, only through Secrets Manager in the secret's Region and only for
 * that secret (kms:ViaService, kms:EncryptionContext:SecretARN, as the Secrets Manager User
 * Guide's "Policy statement for customer managed key" scopes it). A key named by alias ARN is
 * granted as the keys that alias names (kms:ResourceAliases), since the key's own ARN is known
 * only in the account.
 */
export function withSecretKeyGrants(statements: Statement[], keys: readonly SecretKey[]): Statement[] {
  const grants = keys.flatMap((key) => {
    const actions = [
      ...new Set(
        statements
          .filter((s) => s.resources.includes(key.secretArn))
          .flatMap((s) => s.actions.flatMap((a) => (SECRET_KEY_USES[a] ? [SECRET_KEY_USES[a]] : []))),
      ),
    ].sort();
    if (actions.length === 0) return [];
    const match = /^(arn:[^:]+:kms:[^:]+:\d{12}:)(alias\/.+)$/.exec(key.kmsKeyId);
    const alias = match?.[1] && match[2] ? { keys: `${match[1]}key/*`, name: match[2] } : undefined;
    const statement: Statement = {
      actions,
      resources: [alias ? alias.keys : key.kmsKeyId],
      conditions: {
        StringEquals: { [SECRET_KEY_CONDITIONS.viaService]: `secretsmanager.${key.region}.amazonaws.com` },
        StringLike: { [SECRET_KEY_CONDITIONS.secretArn]: key.secretArn },
        ...(alias
          ? { "ForAnyValue:StringEquals": { [SECRET_KEY_CONDITIONS.resourceAliases]: alias.name } }
          : {}),
      },
    };
    return [statement];
  });
  return [...statements, ...grants];
}
