import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as dynamodb from "@aws-sdk/client-dynamodb";
import * as ecr from "@aws-sdk/client-ecr";
import * as eventbridge from "@aws-sdk/client-eventbridge";
import * as lambda from "@aws-sdk/client-lambda";
import * as secrets from "@aws-sdk/client-secrets-manager";
import * as sfn from "@aws-sdk/client-sfn";
import * as sns from "@aws-sdk/client-sns";
import * as sqs from "@aws-sdk/client-sqs";

type ExceptionClass = new (opts: { message: string; $metadata: object }) => Error;

/** Each service's SDK module and the name of its base exception class. */
const modules: Record<string, { ns: Record<string, unknown>; base: string }> = {
  lambda: { ns: lambda, base: "LambdaServiceException" },
  dynamodb: { ns: dynamodb, base: "DynamoDBServiceException" },
  states: { ns: sfn, base: "SFNServiceException" },
  events: { ns: eventbridge, base: "EventBridgeServiceException" },
  cloudwatch: { ns: cloudwatch, base: "CloudWatchServiceException" },
  ecr: { ns: ecr, base: "ECRServiceException" },
  sqs: { ns: sqs, base: "SQSServiceException" },
  sns: { ns: sns, base: "SNSServiceException" },
  secretsmanager: { ns: secrets, base: "SecretsManagerServiceException" },
};

const THROTTLING = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "Throttling",
  "ThrottledException",
]);

/**
 * An error as the real SDK client would throw it: an instance of the service's modelled
 * exception class where one exists (so `instanceof` and `.name` both work), otherwise of the
 * service's base exception with the given name.
 */
export function awsError(service: string, name: string, message: string): Error {
  const mod = modules[service];
  const status = THROTTLING.has(name)
    ? 429
    : name.includes("NotFound")
      ? 404
      : name === "AccessDeniedException"
        ? 403
        : 400;
  const $metadata = { httpStatusCode: status, requestId: "sim" };
  if (!mod) return Object.assign(new Error(message), { name, $metadata });
  const Specific = mod.ns[name] as ExceptionClass | undefined;
  if (typeof Specific === "function") return new Specific({ message, $metadata });
  const Base = mod.ns[mod.base] as new (opts: object) => Error;
  return new Base({
    name,
    message,
    $fault: status >= 500 ? "server" : "client",
    $metadata,
    ...(THROTTLING.has(name) ? { $retryable: { throttling: true } } : {}),
  });
}

/** Errors the simulated services throw: service + exception name + message. */
export class SimError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "SimError";
  }
}

export const fail = (code: string, message: string): never => {
  throw new SimError(code, message);
};
