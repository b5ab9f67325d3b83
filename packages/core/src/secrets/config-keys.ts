/**
 * What a secret's customer managed KMS key (`secrets[].kmsKeyId`) asks of whoever uses the secret.
 * Secrets Manager uses the key "on behalf of the user who is accessing or updating the secret
 * value": reading a value needs kms:Decrypt, writing one kms:GenerateDataKey, on the key, with the
 * secret's ARN as encryption context, through Secrets Manager in the secret's Region
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html,
 * "Permissions for the KMS key"; the policy statement for a rotation function's role:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html,
 * "Policy statement for customer managed key"). Implied actions: the code never calls KMS itself.
 */
export const SECRET_KEY_USES: Readonly<Record<string, string>> = {
  "secretsmanager:GetSecretValue": "kms:Decrypt",
  "secretsmanager:PutSecretValue": "kms:GenerateDataKey",
  "secretsmanager:CreateSecret": "kms:GenerateDataKey",
};

/** The condition keys that scope a key grant to one secret, used through Secrets Manager. */
export const SECRET_KEY_CONDITIONS = {
  /** Secrets Manager's encryption context names the secret: `SecretARN` (and `SecretVersionId`). */
  secretArn: "kms:EncryptionContext:SecretARN",
  /** `secretsmanager.<region>.amazonaws.com`: the key is usable through Secrets Manager only. */
  viaService: "kms:ViaService",
  /** For a key the config names by alias ARN: the grant is on keys that alias names. */
  resourceAliases: "kms:ResourceAliases",
} as const;
