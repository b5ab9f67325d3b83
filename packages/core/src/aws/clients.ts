import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
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
}

/** The shape every SDK v3 client shares that a plug-in (the simulated account, dry-run) needs. */
export type AnyClient =
  | LambdaClient
  | SFNClient
  | EventBridgeClient
  | CloudWatchClient
  | ECRClient
  | SQSClient
  | SNSClient
  | SecretsManagerClient
  | DynamoDBClient
  | EC2Client
  | RDSClient
  | ECSClient;

export interface ClientOptions {
  region?: string;
  /** Called once per client right after it is created: the simulated account attaches here. */
  attach?: (client: AnyClient, service: string) => void;
  /** Endpoint for DynamoDB (dynalite locally); other services use the SDK default. */
  dynamodbEndpoint?: string;
  /** Static credentials for local endpoints; real deployments use the default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Creates clients lazily, once each, on first use: a Lambda container pays only for the
 * clients its handler touches.
 */
export function createClients(options: ClientOptions = {}): AwsClients {
  const base = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const cache = new Map<string, unknown>();
  const lazy = <T extends AnyClient>(service: string, make: () => T): T => {
    let client = cache.get(service) as T | undefined;
    if (!client) {
      client = make();
      options.attach?.(client, service);
      cache.set(service, client);
    }
    return client;
  };
  return {
    get lambda() {
      return lazy("lambda", () => new LambdaClient(base));
    },
    get sfn() {
      return lazy("sfn", () => new SFNClient(base));
    },
    get eventbridge() {
      return lazy("eventbridge", () => new EventBridgeClient(base));
    },
    get cloudwatch() {
      return lazy("cloudwatch", () => new CloudWatchClient(base));
    },
    get ecr() {
      return lazy("ecr", () => new ECRClient(base));
    },
    get sqs() {
      return lazy("sqs", () => new SQSClient(base));
    },
    get sns() {
      return lazy("sns", () => new SNSClient(base));
    },
    get secrets() {
      return lazy("secrets", () => new SecretsManagerClient(base));
    },
    get ec2() {
      return lazy("ec2", () => new EC2Client(base));
    },
    get rds() {
      return lazy("rds", () => new RDSClient(base));
    },
    get ecs() {
      return lazy("ecs", () => new ECSClient(base));
    },
    get dynamodb() {
      const raw = lazy(
        "dynamodb",
        () =>
          new DynamoDBClient({
            ...base,
            ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
          }),
      );
      let doc = cache.get("dynamodb-document") as DynamoDBDocumentClient | undefined;
      if (!doc) {
        doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
        cache.set("dynamodb-document", doc);
      }
      return doc;
    },
  };
}
