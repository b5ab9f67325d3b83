/**
 * IAM in the simulated account: identity-based policy evaluation for the roles a stack plan
 * grants its functions and state machines. Every call a principal with a role makes is
 * authorized before the service answers it; what AWS checks on the caller's behalf (Secrets
 * Manager invoking the rotation function, Lambda pulling an image) is authorized the same way
 * by the service that acts.
 *
 * Evaluation follows "Policy evaluation logic" (IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * .../reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html): a request is
 * denied by default (implicit deny), allowed when a statement allows it, and an explicit Deny in
 * any statement overrides every Allow. Within one account and without resource-based policies,
 * permission boundaries or SCPs, the identity-based policy alone decides.
 *
 * Matching: actions are case-insensitive and may use `*`/`?`; resources are ARNs where `*`
 * matches any run of characters (across `:` and `/` too) and `?` exactly one, case-sensitively
 * ("IAM JSON policy elements: Resource", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
 * "Using wildcards in resource ARNs"; "IAM JSON policy elements: Action").
 */

export type Effect = "Allow" | "Deny";

/** Condition operators this evaluator implements, each also with the `IfExists` suffix. */
export type ConditionOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringEqualsIgnoreCase"
  | "StringLike"
  | "StringNotLike"
  | "ArnEquals"
  | "ArnLike"
  | "ArnNotEquals"
  | "ArnNotLike"
  | "Bool";

/** `{ operator: { key: value | values } }`, as in a policy document's Condition element. */
export type Conditions = Partial<Record<string, Record<string, string | readonly string[]>>>;

export interface PolicyStatement {
  readonly effect: Effect;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Conditions;
}

/** A role a principal of the simulated account runs as, with its identity-based policy. */
export interface Role {
  readonly roleName: string;
  /** The assumed-role session: the function's name for Lambda, the execution's for Step Functions. */
  readonly sessionName: string;
  readonly statements: readonly PolicyStatement[];
}

/** One authorization question: may the role do `action` (service:Action) on `resource`? */
export interface Request {
  readonly action: string;
  readonly resource: string;
  /**
   * Condition keys of the request context (aws:SourceArn, kms:EncryptionContext:SecretARN, ...);
   * a multivalued key (kms:ResourceAliases) holds a list.
   */
  readonly context?: RequestContext;
}

export type RequestContext = Readonly<Record<string, string | readonly string[] | undefined>>;

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

/**
 * Each pattern's expression, compiled once: every call the account answers is authorized against
 * its caller's policy, and the policies are few and fixed while the calls are many. Bounded, so a
 * long run with ever-new patterns (condition values) cannot grow it without limit.
 */
const compiled = new Map<string, RegExp>();
const COMPILED_LIMIT = 10_000;

/** `*` any run of characters, `?` exactly one, everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let expression = compiled.get(key);
  if (!expression) {
    const source = [...pattern]
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    expression = new RegExp(`^${source}$`, ignoreCase ? "is" : "s");
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(key, expression);
  }
  return expression.test(value);
}

/** Action names are case-insensitive: "lambda:invokefunction" matches "lambda:InvokeFunction". */
export const actionMatches = (pattern: string, action: string): boolean =>
  wildcardMatch(pattern, action, true);

/** Resource ARNs match case-sensitively, with `*` and `?` wildcards. */
export const resourceMatches = (pattern: string, arn: string): boolean =>
  pattern === "*" || wildcardMatch(pattern, arn);

/**
 * The condition block holds when every operator holds; an operator holds when every key holds; a
 * key holds when any of its values matches (IAM User Guide, "IAM JSON policy elements: Condition",
 * "Condition operators"). A key absent from the request context fails a positive operator and
 * satisfies a negated one; `...IfExists` makes an absent key satisfy any operator. A multivalued
 * key is compared through the set operator's qualifier: `ForAnyValue:` holds when any of the
 * request's values matches, `ForAllValues:` when each does (IAM User Guide, "Set operators for
 * multivalued context keys",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
 */
export function conditionsHold(conditions: Conditions | undefined, context: RequestContext = {}): boolean {
  for (const [written, keys] of Object.entries(conditions ?? {})) {
    const [qualifier, rawOperator] = written.includes(":")
      ? (written.split(":", 2) as [string, string])
      : [undefined, written];
    const ifExists = rawOperator.endsWith("IfExists");
    const operator = (ifExists ? rawOperator.slice(0, -"IfExists".length) : rawOperator) as ConditionOperator;
    const test = OPERATORS[operator];
    if (!test || (qualifier !== undefined && qualifier !== "ForAnyValue" && qualifier !== "ForAllValues"))
      throw new Error(`the simulated IAM does not implement the condition operator ${written}`);
    const negated = operator.includes("Not");
    for (const [key, raw] of Object.entries(keys ?? {})) {
      const found = lookup(context, key);
      if (found === undefined) {
        // ForAllValues holds for a key the request lacks; every other operator as said above.
        if (ifExists || negated || qualifier === "ForAllValues") continue;
        return false;
      }
      const values = typeof raw === "string" ? [raw] : raw;
      const one = (actual: string) =>
        negated ? values.every((v) => test(v, actual)) : values.some((v) => test(v, actual));
      const actuals = typeof found === "string" ? [found] : found;
      const holds = qualifier === "ForAllValues" ? actuals.every(one) : actuals.some(one);
      if (!holds) return false;
    }
  }
  return true;
}

/** Condition key names are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition"). */
function lookup(context: RequestContext, key: string): string | readonly string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const OPERATORS: Record<ConditionOperator, (policyValue: string, actual: string) => boolean> = {
  StringEquals: (p, a) => p === a,
  StringNotEquals: (p, a) => p !== a,
  StringEqualsIgnoreCase: (p, a) => p.toLowerCase() === a.toLowerCase(),
  StringLike: (p, a) => wildcardMatch(p, a),
  StringNotLike: (p, a) => !wildcardMatch(p, a),
  ArnEquals: (p, a) => wildcardMatch(p, a),
  ArnLike: (p, a) => wildcardMatch(p, a),
  ArnNotEquals: (p, a) => !wildcardMatch(p, a),
  ArnNotLike: (p, a) => !wildcardMatch(p, a),
  Bool: (p, a) => p.toLowerCase() === a.toLowerCase(),
};

/**
 * Decisions already taken, per policy (its statements array) and request: a role's policy is
 * fixed while the account answers thousands of calls with the same few actions and resources.
 * The statements' length is part of the entry, so a policy grown in place is evaluated afresh.
 */
const decided = new WeakMap<
  readonly PolicyStatement[],
  { length: number; decisions: Map<string, Decision> }
>();
const DECIDED_LIMIT = 10_000;

/** The decision of `statements` for one request: explicit deny first, then any allow, else implicit deny. */
export function evaluate(statements: readonly PolicyStatement[], request: Request): Decision {
  let cache = decided.get(statements);
  if (!cache || cache.length !== statements.length) {
    cache = { length: statements.length, decisions: new Map() };
    decided.set(statements, cache);
  }
  const key = `${request.action}\n${request.resource}\n${request.context ? JSON.stringify(request.context) : ""}`;
  let decision = cache.decisions.get(key);
  if (decision === undefined) {
    decision = decide(statements, request);
    if (cache.decisions.size >= DECIDED_LIMIT) cache.decisions.clear();
    cache.decisions.set(key, decision);
  }
  return decision;
}

function decide(statements: readonly PolicyStatement[], request: Request): Decision {
  const applies = (s: PolicyStatement) =>
    s.actions.some((a) => actionMatches(a, request.action)) &&
    s.resources.some((r) => resourceMatches(r, request.resource)) &&
    conditionsHold(s.conditions, request.context);
  if (statements.some((s) => s.effect === "Deny" && applies(s))) return "ExplicitDeny";
  if (statements.some((s) => s.effect === "Allow" && applies(s))) return "Allow";
  return "ImplicitDeny";
}

/**
 * The message AWS sends with AccessDeniedException for an assumed role, e.g. "User:
 * arn:aws:sts::123456789012:assumed-role/ROLE/SESSION is not authorized to perform:
 * lambda:InvokeFunction on resource: ARN because no identity-based policy allows the
 * lambda:InvokeFunction action" (IAM User Guide, "Troubleshoot access denied error messages").
 */
export function accessDeniedMessage(
  partition: string,
  accountId: string,
  role: Role,
  request: Request,
  decision: Exclude<Decision, "Allow">,
): string {
  const user = `arn:${partition}:sts::${accountId}:assumed-role/${role.roleName}/${role.sessionName}`;
  const why =
    decision === "ExplicitDeny"
      ? `with an explicit deny in an identity-based policy`
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${user} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}

/** When a service acts on the caller's behalf, and so needs more than the caller's own action. */
export type OnBehalf =
  /** RotateSecret invokes the secret's rotation function. */
  | "rotation-function"
  /** Lambda pulls a container image from ECR. */
  | "image-pull"
  /** Secrets Manager decrypts a value under the secret's customer managed KMS key. */
  | "cmk-decrypt"
  /** Secrets Manager encrypts a new value under the secret's customer managed KMS key. */
  | "cmk-encrypt"
  /** Lambda sets up network interfaces for a function with a VPC configuration (its execution role's rights). */
  | "vpc-network-interfaces";

/**
 * What AWS checks on the caller's behalf, one row per case, with the page that says so. A service
 * model authorizes each action of its row (`Kernel.authorize`, or for Lambda's VPC check the
 * function's execution role) on the resource the row names; the caller's own action is authorized
 * before the service acts, like every call.
 */
export const IMPLIED_PERMISSIONS: Readonly<
  Record<
    OnBehalf,
    {
      readonly callers: readonly string[];
      readonly actions: readonly string[];
      readonly on: string;
      readonly page: string;
    }
  >
> = {
  "rotation-function": {
    callers: ["secretsmanager:RotateSecret"],
    actions: ["lambda:InvokeFunction"],
    on: "the secret's rotation function",
    page: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html",
  },
  "image-pull": {
    callers: ["lambda:CreateFunction", "lambda:UpdateFunctionCode"],
    actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    on: "the image's repository",
    page: "https://docs.aws.amazon.com/lambda/latest/dg/images-create.html",
  },
  // Secrets Manager uses the KMS key "on behalf of the user who is accessing or updating the secret
  // value": kms:Decrypt to read a value, kms:GenerateDataKey to protect a new one, with the secret's
  // ARN in the encryption context and the call coming through secretsmanager.<region>.amazonaws.com.
  "cmk-decrypt": {
    callers: ["secretsmanager:GetSecretValue"],
    actions: ["kms:Decrypt"],
    on: "the secret's customer managed KMS key",
    page: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
  },
  "cmk-encrypt": {
    callers: ["secretsmanager:CreateSecret", "secretsmanager:PutSecretValue"],
    actions: ["kms:GenerateDataKey"],
    on: "the secret's customer managed KMS key",
    page: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
  },
  // "Lambda uses your function's permissions to create and manage network interfaces": the
  // actions of AWSLambdaVPCAccessExecutionRole, on "*" (DescribeNetworkInterfaces works on "*" only).
  "vpc-network-interfaces": {
    callers: ["lambda:CreateFunction", "lambda:UpdateFunctionConfiguration"],
    actions: [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ],
    on: "* (the function's execution role)",
    page: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html",
  },
};
