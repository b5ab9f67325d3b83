import * as z from "zod";

/**
 * Bounds every parsed field keeps, so no event can make a handler throw downstream: a 100 KB string that becomes
 * a DynamoDB key (partition keys are at most 2,048 bytes, sort keys 1,024), an empty region, a number DynamoDB
 * cannot store. Each bound is the one AWS documents for the field, cited beside it.
 */

/** A string of at most `max` UTF-16 units (and so at most 3 × max UTF-8 bytes). */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
/** A non-empty string of at most `max` characters. */
export const name = (max: number) => text(max).min(1, "must not be empty");

/** AWS account ids are 12 digits (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html). */
export const AccountId = z.string().regex(/^\d{12}$/, "expected a 12-digit AWS account id");

/**
 * Region codes: two letters, an optional "-gov", a direction word and a digit, e.g. "us-east-1", "us-gov-west-1"
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html).
 */
export const RegionCode = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "expected an AWS Region code such as us-east-1");

/**
 * An ARN: at most 2,048 characters, the largest any AWS API documents for a resource ARN (e.g. IAM's
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html `Arn`, 20–2048).
 */
export const Arn = (hint: string) =>
  text(2048).regex(/^arn:[a-z-]+:[^:\s]*:[^:\s]*:[^:\s]*:.+$/, `expected ${hint}`);

/**
 * A number the state table stores exactly. DynamoDB itself keeps 38 digits of magnitude up to
 * 9.9999999999999999999999999999999999999E+125 and down to 1E-130
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number),
 * but Switchyard writes through lib-dynamodb, whose marshaller refuses a JavaScript number beyond
 * ±Number.MAX_SAFE_INTEGER (it could not read it back exactly; `allowImpreciseNumbers` would round
 * it, NumberValue would keep it as a string the code cannot compare):
 * https://github.com/aws/aws-sdk-js-v3/tree/main/lib/lib-dynamodb#large-numbers-and-numbervalue.
 * So the bound is the smaller of the two: |n| ≤ 2^53 − 1, and 0 or at least 1E-130. zod already
 * refuses NaN and ±Infinity; this refuses 2^53, 9.99e125, 1e308 and 1e-200.
 */
export const StorableNumber = z
  .number()
  .refine((n) => n === 0 || (Math.abs(n) <= Number.MAX_SAFE_INTEGER && Math.abs(n) >= 1e-130), {
    message: `must be a number DynamoDB can store exactly (magnitude at most ${Number.MAX_SAFE_INTEGER}, and 0 or at least 1E-130)`,
  });
