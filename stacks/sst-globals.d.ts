/**
 * The few SST globals that sst.config.ts and stacks/switchyard.ts use, typed here so the repo
 * type-checks offline. SST generates the full declarations (.sst/platform/config.d.ts) in
 * `sst install`, which downloads its platform and providers, and the npm package does not ship
 * them. Names and props follow SST 4.17's `sst.aws.Function` and the Pulumi AWS provider 7
 * (`aws.*`) that SST 4.17 bundles; only the props used here are declared.
 */

declare namespace $pulumi {
  interface Output<T> {
    apply<U>(fn: (value: T) => U): Output<U>;
  }
  type Input<T> = T | Output<T>;
  interface ResourceOptions {
    dependsOn?: unknown[];
  }
  interface Named {
    readonly arn: Output<string>;
    readonly name: Output<string>;
  }
}

declare const $app: { readonly name: string; readonly stage: string };

/**
 * SST's CLI paths (declared `@internal` in SST's platform/src/global.d.ts). Function `copyFiles`
 * resolves `from` against `paths.root`, and run() executes in a Pulumi work directory under
 * `.sst`, so files written for `copyFiles` go under `paths.root`.
 */
declare const $cli: { readonly paths: { readonly root: string } };

/** Pulumi's `output`, as SST exposes it; here only to turn a list of ARNs into one input. */
declare function $output(value: $pulumi.Output<string>[]): $pulumi.Output<string[]>;

declare function $config(input: {
  app(input: { stage?: string } | undefined): {
    name: string;
    removal?: "remove" | "retain" | "retain-all";
    home: "aws";
  };
  run(): Promise<Record<string, $pulumi.Input<string> | undefined> | undefined>;
}): unknown;

declare namespace sst.aws {
  interface FunctionArgs {
    name?: string;
    description?: string;
    handler: string;
    runtime?: "nodejs22.x";
    architecture?: "x86_64" | "arm64";
    memory?: `${number} MB`;
    timeout?: `${number} seconds`;
    environment?: Record<string, $pulumi.Input<string>>;
    permissions?: { actions: string[]; resources: string[] }[];
    /** Managed policy ARNs attached to the function's role, beside AWSLambdaBasicExecutionRole. */
    policies?: $pulumi.Input<string[]>;
    /** `from` relative to the app's root (sst.config.ts), `to` relative to the bundle's root. */
    copyFiles?: { from: string; to?: string }[];
    url?: boolean | { authorization?: "none" | "iam"; cors?: boolean };
    retries?: number;
    nodejs?: { format?: "esm" | "cjs"; minify?: boolean; esbuild?: { target?: string } };
    transform?: {
      eventInvokeConfig?: (args: {
        destinationConfig?: { onFailure?: { destination: string } };
      }) => undefined;
    };
  }
  // biome-ignore lint/suspicious/noShadowRestrictedNames: SST names its component sst.aws.Function.
  class Function implements $pulumi.Named {
    constructor(name: string, args: FunctionArgs, opts?: $pulumi.ResourceOptions);
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
    readonly url: $pulumi.Output<string>;
  }
}

declare namespace aws {
  function getCallerIdentity(args?: Record<string, never>): Promise<{ accountId: string }>;
  function getRegion(args?: Record<string, never>): Promise<{ region: string }>;
}

declare namespace aws.dynamodb {
  class Table implements $pulumi.Named {
    constructor(
      name: string,
      args: {
        name: string;
        billingMode: "PAY_PER_REQUEST";
        hashKey: string;
        rangeKey: string;
        attributes: { name: string; type: "S" | "N" | "B" }[];
        ttl: { attributeName: string; enabled: boolean };
        pointInTimeRecovery: { enabled: boolean };
        deletionProtectionEnabled: boolean;
      },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
}

declare namespace aws.sqs {
  class Queue implements $pulumi.Named {
    constructor(
      name: string,
      args: { name: string; messageRetentionSeconds: number; sqsManagedSseEnabled: boolean },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
    readonly url: $pulumi.Output<string>;
  }
  class QueuePolicy {
    constructor(
      name: string,
      args: { queueUrl: $pulumi.Input<string>; policy: string },
      opts?: $pulumi.ResourceOptions,
    );
  }
}

declare namespace aws.secretsmanager {
  class Secret implements $pulumi.Named {
    constructor(
      name: string,
      args: { name: string; description: string; recoveryWindowInDays: number },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
  /** Turns on a secret's rotation: Secrets Manager invokes the function on the schedule. */
  class SecretRotation {
    constructor(
      name: string,
      args: {
        secretId: $pulumi.Input<string>;
        rotationLambdaArn: $pulumi.Input<string>;
        rotationRules: { scheduleExpression: string };
        rotateImmediately?: boolean;
      },
      opts?: $pulumi.ResourceOptions,
    );
  }
}

declare namespace aws.cloudwatch {
  class EventRule implements $pulumi.Named {
    constructor(
      name: string,
      args: { name: string; description: string; eventBusName: string } & (
        | { eventPattern: string }
        | { scheduleExpression: string }
      ),
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
  class EventTarget {
    constructor(
      name: string,
      args: {
        rule: $pulumi.Input<string>;
        eventBusName: string;
        arn: $pulumi.Input<string>;
        deadLetterConfig: { arn: $pulumi.Input<string> };
        retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
      },
      opts?: $pulumi.ResourceOptions,
    );
  }
  class LogGroup implements $pulumi.Named {
    constructor(
      name: string,
      args: { name: string; retentionInDays: number },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
  class MetricAlarm {
    constructor(
      name: string,
      args: {
        name: string;
        alarmDescription: string;
        namespace: string;
        metricName: string;
        dimensions: Record<string, string>;
        statistic: string;
        period: number;
        evaluationPeriods: number;
        threshold: number;
        comparisonOperator: string;
        treatMissingData: string;
        alarmActions: string[];
      },
      opts?: $pulumi.ResourceOptions,
    );
  }
  class Dashboard {
    constructor(
      name: string,
      args: { dashboardName: string; dashboardBody: string },
      opts?: $pulumi.ResourceOptions,
    );
  }
}

declare namespace aws.lambda {
  class Permission {
    constructor(
      name: string,
      args: {
        action: string;
        function: $pulumi.Input<string>;
        principal: string;
        sourceArn: $pulumi.Input<string>;
      },
      opts?: $pulumi.ResourceOptions,
    );
  }
}

declare namespace aws.iam {
  class Role implements $pulumi.Named {
    constructor(
      name: string,
      args: { name: string; assumeRolePolicy: string },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
  class RolePolicy {
    constructor(
      name: string,
      args: { role: $pulumi.Input<string>; policy: string },
      opts?: $pulumi.ResourceOptions,
    );
  }
  class Policy implements $pulumi.Named {
    constructor(name: string, args: { name: string; policy: string }, opts?: $pulumi.ResourceOptions);
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
  class RolePolicyAttachment {
    constructor(
      name: string,
      args: { role: $pulumi.Input<string>; policyArn: $pulumi.Input<string> },
      opts?: $pulumi.ResourceOptions,
    );
  }
}

declare namespace aws.sfn {
  class StateMachine implements $pulumi.Named {
    constructor(
      name: string,
      args: {
        name: string;
        type: "STANDARD" | "EXPRESS";
        roleArn: $pulumi.Input<string>;
        definition: string;
        loggingConfiguration: {
          level: "ALL" | "ERROR" | "FATAL" | "OFF";
          includeExecutionData: boolean;
          logDestination: $pulumi.Input<string>;
        };
        tracingConfiguration: { enabled: boolean };
      },
      opts?: $pulumi.ResourceOptions,
    );
    readonly arn: $pulumi.Output<string>;
    readonly name: $pulumi.Output<string>;
  }
}
