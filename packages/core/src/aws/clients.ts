import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { RDSClient } from "@aws-sdk/client-rds";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Every AWS client Switchyard uses. Core takes this as a parameter and never builds its own. */
export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly sfn: SFNClient;
  readonly eventbridge: EventBridgeClient;
  readonly cloudwatch: CloudWatchClient;
  readonly ecr: ECRClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly secrets: SecretsManagerClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly ec2: EC2Client;
  readonly rds: RDSClient;
  readonly ecs: ECSClient;
  readonly ssm: SSMClient;
  readonly autoscaling: AutoScalingClient;
  /**
   * The same clients for another region, created once per region: a client reaches only its
   * region's resources, so cross-region work (failover) asks for the region it acts in.
   */
  forRegion(region: string): AwsClients;
}

/** The shape every SDK v3 client shares that a plug-in (the simulated account, dry-run) needs. */
export type AnyClient =
  | Exclude<AwsClients[Exclude<keyof AwsClients, "forRegion">], DynamoDBDocumentClient>
  | DynamoDBClient;

type Constructor<T> = new (config: object) => T;

/**
 * The client classes a process may build, by name. A Lambda function passes only the ones its
 * code uses, so its bundle carries only those SDK packages (see `clientsFor` in the functions);
 * the state table's DynamoDB client is always there.
 */
export type ClientConstructors = {
  readonly [K in Exclude<keyof AwsClients, "dynamodb" | "forRegion">]?: Constructor<AwsClients[K]>;
};

export interface ClientOptions {
  region?: string;
  /** Called once per client right after it is created: the simulated account attaches here. */
  attach?: (client: AnyClient, service: string) => void;
  /** Endpoint for DynamoDB (dynalite locally); other services use the SDK default. */
  dynamodbEndpoint?: string;
  /**
   * Static credentials for local endpoints; real deployments use the default provider chain,
   * which the Lambda bundles narrow to the environment's credentials (stacks/bundle-plugins.ts).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Creates clients lazily, once each, on first use: a Lambda container pays only for the
 * clients its handler touches. Asking for a client the process was not given is a bug in the
 * function's list of clients, reported as such.
 */
export function createClients(constructors: ClientConstructors, options: ClientOptions = {}): AwsClients {
  const base = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const cache = new Map<string, unknown>();
  const lazy = <T>(service: string, make: () => T): T => {
    let client = cache.get(service) as T | undefined;
    if (!client) {
      client = make();
      options.attach?.(client as AnyClient, service);
      cache.set(service, client);
    }
    return client;
  };
  const make = <K extends keyof ClientConstructors>(name: K) => {
    const Client = constructors[name] as Constructor<AwsClients[K]> | undefined;
    if (!Client) {
      throw new Error(
        `this process was not given the ${name} client: add it to the function's client list (clientsFor)`,
      );
    }
    // The SDK resolves a command class's middleware stack once and reuses it (`cacheMiddleware`,
    // @smithy/core client config: "0-1ms per request"), which is safe here because every plug-in
    // (the simulated account, dry-run) is attached in `lazy`, before the client's first request:
    // middleware added after that would be ignored. Not for DynamoDB: lib-dynamodb's document
    // client refuses the option (its commands resolve per instance).
    return lazy(name, () => new Client({ ...base, cacheMiddleware: true }));
  };
  const clients = {
    get dynamodb() {
      const raw = lazy(
        "dynamodb",
        () =>
          new DynamoDBClient({
            ...base,
            ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
          }),
      );
      // The document client shares the raw client's middleware stack: it is not attached again.
      let doc = cache.get("dynamodb-document") as DynamoDBDocumentClient | undefined;
      if (!doc) {
        doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
        cache.set("dynamodb-document", doc);
      }
      return doc;
    },
  } as Record<string, unknown>;
  for (const name of [
    "lambda",
    "sfn",
    "eventbridge",
    "cloudwatch",
    "ecr",
    "sqs",
    "sns",
    "secrets",
    "ec2",
    "rds",
    "ecs",
    "ssm",
    "autoscaling",
  ] as const) {
    Object.defineProperty(clients, name, { get: () => make(name), enumerable: true });
  }
  const regions = new Map<string, AwsClients>();
  clients.forRegion = (region: string): AwsClients => {
    if (region === options.region) return clients as unknown as AwsClients;
    let regional = regions.get(region);
    if (!regional) {
      regional = createClients(constructors, { ...options, region });
      regions.set(region, regional);
    }
    return regional;
  };
  return clients as unknown as AwsClients;
}
