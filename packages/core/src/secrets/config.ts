import * as z from "zod";
import { closest } from "../config/suggest.ts";
import {
  evenWithOtherIssues,
  FUNCTION_REF,
  GITHUB_REPOSITORY,
  itemName,
  pattern,
  strict,
} from "../config/zod.ts";
import { alternateUser } from "./alternating-users.ts";
import { ROTATOR_NAMES, ROTATOR_OPTIONS } from "./catalog.ts";

/**
 * The `secrets` section of the config (which secrets Switchyard rotates, with which rotator, how
 * often, and which leaks concern them) and `secretScanning` (where rotate-on-leak resolves the
 * GitHub alert). Every default of a managed secret is in this file; each rotator's own options
 * and their defaults are in catalog.ts.
 */

const SECRET_ID =
  /^(?:[A-Za-z0-9/_+=.@-]{1,512}|arn:aws[a-zA-Z-]*:secretsmanager:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/;
const ROTATION_SCHEDULE = /^(?:rate\((?:[1-9]\d{0,2}) (?:hours?|days?)\)|cron\([^)]+\))$/;
const RATE_HOURS = /^rate\((\d+) hours?\)$/;
/** A KMS key ARN or alias ARN (CreateSecret's KmsKeyId also takes a key ID or alias name; a config names the key fully). */
const KMS_KEY =
  /^arn:aws[a-zA-Z-]*:kms:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):(?:key\/[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_-]{1,250})$/;
const SECRET_ARN = /^arn:aws[a-zA-Z-]*:secretsmanager:([^:]+):(\d{12}):secret:/;
/** Lambda allows at most 16 subnets and 5 security groups per function (VpcConfig, https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfig.html). */
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/**
 * Secrets Manager rotates a secret at most every four hours: "You can rotate a secret as often as
 * every four hours" (RotationRulesType.ScheduleExpression,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html).
 * RotateSecret refuses a shorter rate, so the stack would fail to deploy.
 */
const MIN_ROTATION_HOURS = 4;

const Schedule = pattern(
  ROTATION_SCHEDULE,
  () =>
    'must be a Secrets Manager rotation schedule: "rate(7 days)", "rate(12 hours)" or "cron(0 4 ? * SUN *)"',
).superRefine((schedule, ctx) => {
  const hours = RATE_HOURS.exec(schedule)?.[1];
  if (hours !== undefined && Number(hours) < MIN_ROTATION_HOURS)
    ctx.addIssue({
      code: "custom",
      message:
        `"${schedule}" is more often than Secrets Manager rotates a secret (at most every ${MIN_ROTATION_HOURS} hours): ` +
        `write "rate(${MIN_ROTATION_HOURS} hours)" or longer`,
    });
});

const Rotator = z.string().superRefine((name, ctx) => {
  if ((ROTATOR_NAMES as readonly string[]).includes(name)) return;
  const near = closest(name, ROTATOR_NAMES);
  ctx.addIssue({
    code: "custom",
    message: `unknown rotator "${name}"; ${near ? `did you mean "${near}"? ` : ""}rotators: ${ROTATOR_NAMES.join(", ")}`,
  });
});

export const SecretSchema = strict({
  name: itemName(),
  secretId: pattern(SECRET_ID, () => 'must be a Secrets Manager secret name or ARN, e.g. "prod/api/key"'),
  rotator: Rotator,
  options: z.record(z.string(), z.unknown()).default({}),
  schedule: Schedule.default("rate(7 days)"),
  /**
   * The customer managed KMS key that encrypts the secret (its key ARN or alias ARN); absent: the
   * AWS managed key aws/secretsmanager. Secrets Manager then uses the key with the permissions of
   * whoever reads or writes the secret, so the stack grants kms:Decrypt / kms:GenerateDataKey on it.
   */
  kmsKeyId: pattern(
    KMS_KEY,
    () =>
      'must be a KMS key ARN or alias ARN, e.g. "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" or "arn:aws:kms:us-east-1:123456789012:alias/secrets"',
  ).optional(),
  /** The secret's own rotation function (rotator "custom"). */
  rotationFunction: pattern(FUNCTION_REF, () => "must be a Lambda function name or ARN").optional(),
  /** Which GitHub secret scanning alerts concern this secret. */
  leaks: strict({
    repositories: z
      .array(pattern(GITHUB_REPOSITORY, () => 'must be "owner/name", e.g. "octo-org/api"'))
      .min(1),
    secretTypes: z
      .array(z.string().min(1))
      .min(1, { error: 'list GitHub secret types, e.g. ["postgres_connection_string"]' }),
  }).optional(),
})
  .superRefine((secret: Record<string, unknown>, ctx) => {
    const rotator = secret.rotator as keyof typeof ROTATOR_OPTIONS;
    const schema = ROTATOR_OPTIONS[rotator];
    if (!schema) return;
    const options = schema.safeParse(secret.options ?? {});
    for (const issue of options.success ? [] : options.error.issues)
      ctx.addIssue({ code: "custom", path: ["options", ...issue.path.map(String)], message: issue.message });
    const username = options.success ? (options.data as { username?: string }).username : undefined;
    const alternate = username === undefined ? undefined : alternateUser(username);
    if (alternate && "problem" in alternate)
      ctx.addIssue({ code: "custom", path: ["options", "username"], message: alternate.problem });
    const key = KMS_KEY.exec(String(secret.kmsKeyId ?? ""));
    const arn = SECRET_ARN.exec(String(secret.secretId ?? ""));
    // "The KMS key must be in the same account and Region as the secret" (CreateSecret, KmsKeyId).
    if (key && arn && (key[1] !== arn[1] || key[2] !== arn[2]))
      ctx.addIssue({
        code: "custom",
        path: ["kmsKeyId"],
        message: `the key is in ${key[2]}/${key[1]} but the secret in ${arn[2]}/${arn[1]}: name a key of the secret's account and Region`,
      });
    if (rotator === "custom" && secret.rotationFunction === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rotationFunction"],
        message: 'rotator "custom" needs the rotation function\'s name or ARN',
      });
    if (rotator !== "custom" && secret.rotationFunction !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rotationFunction"],
        message: `Switchyard's rotation function rotates "${rotator}" secrets; remove rotationFunction or use rotator "custom"`,
      });
  }, evenWithOtherIssues)
  .transform((secret) => ({
    ...secret,
    options: ROTATOR_OPTIONS[secret.rotator as keyof typeof ROTATOR_OPTIONS].parse(secret.options) as Record<
      string,
      unknown
    >,
  }));

/** Where rotate-on-leak resolves GitHub secret scanning alerts: a token with secret_scanning_alerts write. */
export const SecretScanningSchema = strict({
  tokenSecret: z.string().min(1, { error: "name the secret that holds the GitHub token" }),
  apiUrl: z
    .url({ error: 'must be the GitHub REST API URL, e.g. "https://api.github.com"' })
    .default("https://api.github.com"),
});

/**
 * The spellings that can name one secret: its name, or the name an ARN spells, with and
 * without what may be Secrets Manager's random suffix ("-" and six characters).
 */
function identities(secretId: string): string[] {
  const spelled = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId)?.[1];
  if (spelled === undefined) return [secretId];
  const unsuffixed = spelled.replace(/-[A-Za-z0-9]{6}$/, "");
  return unsuffixed === spelled ? [spelled] : [spelled, unsuffixed];
}

/**
 * `secrets[]`: each secret has one entry. Two entries that may name the same secret (the same
 * name, a name and an ARN of it, a partial and a full ARN) are a load error: a rotation could
 * not tell which rotator and options apply.
 */
export const SecretsSchema = z.array(SecretSchema).superRefine((secrets, ctx) => {
  const seen = new Map<string, number>();
  secrets.forEach((secret, i) => {
    for (const identity of identities(secret.secretId)) {
      const first = seen.get(identity);
      if (first !== undefined && first !== i) {
        ctx.addIssue({
          code: "custom",
          path: [i, "secretId"],
          message: `may name the same secret as secrets[${first}] ("${secrets[first]?.secretId}"): keep one entry per secret, with its full ARN or its exact name`,
        });
        return;
      }
      seen.set(identity, i);
    }
  });
});

/**
 * `rotation`: how Switchyard's rotation function (every rotator but "custom") reaches what it
 * rotates. `vpc` connects it to private subnets, to reach a database without a public endpoint;
 * the stack then grants its role the network interface actions Lambda needs
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
 */
export type RotationVpc = { subnetIds: string[]; securityGroupIds: string[] };

/**
 * What Lambda needs of a VPC function's execution role to create and manage its network interfaces:
 * the actions of AWS's managed policy AWSLambdaVPCAccessExecutionRole, on "*"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, "Required IAM permissions";
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html).
 */
export const LAMBDA_VPC_ACCESS = {
  policy: "service-role/AWSLambdaVPCAccessExecutionRole",
  actions: [
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ],
} as const;

export const RotationSchema = strict({
  vpc: strict({
    subnetIds: z
      .array(pattern(SUBNET_ID, () => 'must be a subnet ID, e.g. "subnet-0123456789abcdef0"'))
      .min(1, { error: "list the private subnets the rotation function runs in (two or more AZs)" })
      .max(16, { error: "Lambda takes at most 16 subnets" }),
    securityGroupIds: z
      .array(pattern(SECURITY_GROUP_ID, () => 'must be a security group ID, e.g. "sg-0123456789abcdef0"'))
      .min(1, { error: "list a security group that the database accepts connections from" })
      .max(5, { error: "Lambda takes at most 5 security groups" }),
  }).optional(),
});

/**
 * A secret named without an ARN lives in the stack's account and Region, and so must its KMS key
 * ("The KMS key must be in the same account and Region as the secret", CreateSecret, KmsKeyId,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html).
 */
export function secretKeyIssues(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const secrets = config.secrets;
  if (!Array.isArray(secrets)) return;
  secrets.forEach((secret: unknown, i) => {
    if (typeof secret !== "object" || secret === null) return;
    const { secretId, kmsKeyId } = secret as { secretId?: unknown; kmsKeyId?: unknown };
    const key = KMS_KEY.exec(String(kmsKeyId ?? ""));
    if (!key || typeof secretId !== "string" || secretId.startsWith("arn:")) return;
    const region = String(config.region ?? "us-east-1");
    const account = String(config.account ?? "123456789012");
    if (key[1] !== region || key[2] !== account)
      ctx.addIssue({
        code: "custom",
        path: ["secrets", i, "kmsKeyId"],
        message: `the key is in ${key[2]}/${key[1]} but the secret in the stack's ${account}/${region}: name a key of the stack's account and Region`,
      });
  });
}
