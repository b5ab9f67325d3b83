import { type Permission, rotateSecretInvokeGrant } from "../permissions.ts";

/**
 * What a function needs to start a managed secret's rotation again and move its stages: read
 * the secret and its stages, RotateSecret (which invokes the rotation function with the caller's
 * rights), UpdateSecretVersionStage, and read the credentials a rotator logs in with.
 */
export const rotateAgainGrants: readonly Permission[] = [
  {
    actions: [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:RotateSecret",
      "secretsmanager:UpdateSecretVersionStage",
    ],
    resources: ["managedSecrets"],
  },
  rotateSecretInvokeGrant,
  { actions: ["secretsmanager:GetSecretValue"], resources: ["rotationCredentials"] },
];
