import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import {
  type ControlPlane,
  LOCAL_NAMES,
  startControlPlane,
} from "../packages/cli/src/local/control-plane.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import type { Role } from "../packages/sim/src/index.ts";

/**
 * Secrets encrypted with a customer managed KMS key (issue #10, item 6). Secrets Manager uses the
 * key with the permissions of whoever reads or writes the secret: kms:Decrypt for GetSecretValue,
 * kms:GenerateDataKey for PutSecretValue
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html). The stack
 * grants the rotation function's role exactly those actions on exactly the secret's key, scoped to
 * the secret and to Secrets Manager; the simulated account checks them, conditions included.
 */

const START = Date.parse("2026-11-20T10:00:00Z");
const SECRET = "prod/podinfo/api";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`;
const ALIAS_ARN = "arn:aws:kms:us-east-1:123456789012:alias/podinfo-secrets";
// Invented: an API key secret; no public sample of one exists.
const INITIAL = JSON.stringify({ apiKey: "kms-test-initial-key-000000000000000000" });
const ROTATE = `${LOCAL_NAMES.functionPrefix}rotate`;

const plane = (kmsKeyId: string) =>
  startControlPlane(
    parseConfig({
      secrets: [
        { name: "podinfo-api", secretId: SECRET, rotator: "random", options: { field: "apiKey" }, kmsKeyId },
      ],
    }),
    { start: START, secretValues: { [SECRET]: INITIAL } },
  );

/** Rotates the secret as an operator would (the operator has no role; the rotation function's calls are checked). */
async function rotate(p: ControlPlane) {
  await p.clients.secrets.send(new RotateSecretCommand({ SecretId: SECRET }));
  await p.runOut();
  return p.account.secrets.rotations.at(-1);
}

/** The rotation function's role alone (the one the test is about), its statements changed by `change`. */
function rotateRoleChanged(p: ControlPlane, change: (statements: Role["statements"]) => Role["statements"]) {
  const role = p.account.roleOf(ROTATE);
  if (!role) throw new Error("no role for the rotation function");
  return new Map<string, Role>([[ROTATE, { ...role, statements: change(role.statements) }]]);
}

async function currentValue(p: ControlPlane): Promise<string | undefined> {
  return (await p.clients.secrets.send(new GetSecretValueCommand({ SecretId: SECRET }))).SecretString;
}

describe("secrets encrypted with a customer managed KMS key", () => {
  it("grants the rotation function kms:Decrypt and kms:GenerateDataKey on the key, for that secret through Secrets Manager only", async () => {
    const p = await plane(KEY_ARN);
    try {
      const secretArn = p.account.arn("secretsmanager", `secret:${SECRET}-??????`);
      expect(p.account.roleOf(ROTATE)?.statements).toContainEqual({
        effect: "Allow",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [KEY_ARN],
        conditions: {
          StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" },
          StringLike: { "kms:EncryptionContext:SecretARN": secretArn },
        },
      });
      // The stuck-rotation sweep reads the secret's value too, and only reads it.
      expect(p.account.roleOf(`${LOCAL_NAMES.functionPrefix}secrets-stuck`)?.statements).toContainEqual(
        expect.objectContaining({ actions: ["kms:Decrypt"], resources: [KEY_ARN] }),
      );
      const described = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET }));
      expect(described.KmsKeyId).toBe(KEY_ARN);
    } finally {
      await p.close();
    }
  });

  it("rotates a CMK-encrypted secret with the planned grant", async () => {
    const p = await plane(KEY_ARN);
    try {
      const run = await rotate(p);

      expect(run?.error).toBeUndefined();
      expect(run?.steps).toEqual(["createSecret", "setSecret", "testSecret", "finishSecret"]);
      expect(await currentValue(p)).not.toBe(INITIAL);
    } finally {
      await p.close();
    }
  });

  it("fails the rotation with AccessDeniedException naming kms:Decrypt when the role lacks it", async () => {
    const p = await plane(KEY_ARN);
    try {
      p.account.enforce(
        rotateRoleChanged(p, (statements) =>
          statements.map((s) => ({ ...s, actions: s.actions.filter((a) => a !== "kms:Decrypt") })),
        ),
      );

      const run = await rotate(p);

      expect(run?.error?.step).toBe("createSecret");
      const denied = p.account.callsOf({ principal: ROTATE, action: "GetSecretValue" }).at(-1);
      expect(denied?.error).toBe("AccessDeniedException");
      expect(JSON.stringify(run?.error)).toContain(
        `is not authorized to perform: kms:Decrypt on resource: ${KEY_ARN} because no identity-based policy allows the kms:Decrypt action`,
      );
      expect(await currentValue(p)).toBe(INITIAL);
    } finally {
      await p.close();
    }
  });

  it("denies a grant whose encryption context names another secret", async () => {
    const p = await plane(KEY_ARN);
    try {
      const other = p.account.arn("secretsmanager", "secret:prod/other-??????");
      p.account.enforce(
        rotateRoleChanged(p, (statements) =>
          statements.map((s) =>
            s.conditions?.StringLike
              ? {
                  ...s,
                  conditions: { ...s.conditions, StringLike: { "kms:EncryptionContext:SecretARN": other } },
                }
              : s,
          ),
        ),
      );

      const run = await rotate(p);

      expect(JSON.stringify(run?.error)).toContain("kms:Decrypt");
      expect(await currentValue(p)).toBe(INITIAL);
    } finally {
      await p.close();
    }
  });

  it("rotates a secret whose key the config names by alias ARN, granted on the keys that alias names", async () => {
    const p = await plane(ALIAS_ARN);
    try {
      expect(p.account.roleOf(ROTATE)?.statements).toContainEqual(
        expect.objectContaining({
          resources: ["arn:aws:kms:us-east-1:123456789012:key/*"],
          conditions: expect.objectContaining({
            "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/podinfo-secrets" },
          }),
        }),
      );

      const run = await rotate(p);

      expect(run?.error).toBeUndefined();
      expect(await currentValue(p)).not.toBe(INITIAL);
    } finally {
      await p.close();
    }
  });
});
