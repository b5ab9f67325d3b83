import type { EventPattern } from "./events/pattern.ts";
import type { StateMachineDefinition } from "./workflows/asl.ts";
import { deployDefinition } from "./workflows/deploy.ts";

/**
 * Switchyard's wiring as data: its functions and what each may do, the bus rules that route
 * events to them, and the state machines. `stacks/` turns this into resources; the local
 * control plane and the tests run the very same data. Nothing may exist only in `stacks/`.
 */

/** Symbolic resources a permission is scoped to; `stacks/` resolves them to ARNs. */
export type ResourceRef =
  | "stateTable"
  | "deployStateMachine"
  | "deployExecutions"
  | "managedFunctions"
  | "managedAlarms"
  | "deadLetterQueue"
  | "notificationTopic"
  | "eventBus"
  | "webhookSecret"
  | "deployStepsFunction"
  | "imageRepositories";

export interface Permission {
  /** IAM actions, service:Action; never a wildcard. */
  readonly actions: readonly string[];
  readonly resources: readonly ResourceRef[];
  /**
   * Actions AWS checks on the caller's behalf for another action but that the code never
   * sends itself (Lambda's UpdateFunctionCode pulls the image with the caller's ECR rights).
   * Kept apart so the test that compares sent calls with granted actions stays exact.
   */
  readonly implied?: true;
}

export type FunctionName = "deploy-trigger" | "scan-result" | "rollback" | "deploy-steps" | "github-webhook";

export interface FunctionSpec {
  readonly name: FunctionName;
  /** Path of the handler module from the repo root, SST style (`file.export`). */
  readonly handler: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
  /** Exposed through a function URL (the GitHub webhook receiver). */
  readonly url?: true;
}

export interface RuleSpec {
  readonly name: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: FunctionName;
}

export interface StateMachineSpec {
  readonly name: "deploy";
  readonly description: string;
  readonly definition: (arns: { deployStepsFunction: string }) => StateMachineDefinition;
  readonly permissions: readonly Permission[];
}

const table = (...actions: string[]): Permission => ({
  actions: actions.map((a) => `dynamodb:${a}`),
  resources: ["stateTable"],
});
const deadLetter: Permission = { actions: ["sqs:SendMessage"], resources: ["deadLetterQueue"] };
const notifications: Permission = { actions: ["sns:Publish"], resources: ["notificationTopic"] };

export const functions: readonly FunctionSpec[] = [
  {
    name: "deploy-trigger",
    handler: "packages/functions/src/deploy-trigger.handler",
    description:
      "ECR push of a watched repository:tag, GitHub release or deployment → start deploy executions",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["lambda:GetAlias"], resources: ["managedFunctions"] },
      { actions: ["states:StartExecution"], resources: ["deployStateMachine"] },
      { actions: ["states:DescribeExecution"], resources: ["deployExecutions"] },
      { actions: ["ecr:DescribeImages"], resources: ["imageRepositories"] },
      table("GetItem", "PutItem", "UpdateItem"),
      deadLetter,
    ],
  },
  {
    name: "scan-result",
    handler: "packages/functions/src/scan-result.handler",
    description: "ECR or Inspector scan finished → answer deployments waiting at the scan gate",
    timeoutSeconds: 30,
    memoryMB: 256,
    permissions: [
      { actions: ["states:SendTaskSuccess"], resources: ["deployStateMachine"] },
      table("PutItem", "Query"),
      deadLetter,
    ],
  },
  {
    name: "rollback",
    handler: "packages/functions/src/rollback.handler",
    description: "Guarding alarm → ALARM: alias back to the stable version, deploy execution stopped",
    timeoutSeconds: 30,
    memoryMB: 512,
    permissions: [
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["managedAlarms"] },
      { actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: ["managedFunctions"] },
      { actions: ["states:StopExecution"], resources: ["deployExecutions"] },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
      deadLetter,
    ],
  },
  {
    name: "deploy-steps",
    handler: "packages/functions/src/deploy-steps.handler",
    description: "The deploy state machine's steps: gate, publish, check alarms, shift, finish, roll back",
    timeoutSeconds: 60,
    memoryMB: 512,
    permissions: [
      {
        actions: [
          "lambda:GetAlias",
          "lambda:GetFunction",
          "lambda:UpdateFunctionCode",
          "lambda:PublishVersion",
          "lambda:UpdateAlias",
        ],
        resources: ["managedFunctions"],
      },
      {
        actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        resources: ["imageRepositories"],
        implied: true,
      },
      { actions: ["cloudwatch:DescribeAlarms"], resources: ["managedAlarms"] },
      { actions: ["states:SendTaskSuccess"], resources: ["deployStateMachine"] },
      table("GetItem", "PutItem", "UpdateItem"),
      notifications,
    ],
  },
  {
    name: "github-webhook",
    handler: "packages/functions/src/github-webhook.handler",
    description: "GitHub webhook receiver (function URL): verify, deduplicate, put on the bus",
    timeoutSeconds: 10,
    memoryMB: 256,
    url: true,
    permissions: [
      { actions: ["secretsmanager:GetSecretValue"], resources: ["webhookSecret"] },
      { actions: ["events:PutEvents"], resources: ["eventBus"] },
      table("GetItem", "PutItem", "UpdateItem", "DeleteItem"),
    ],
  },
];

/**
 * Rules do not depend on the config: their number stays the same for 1 or 500 deployments,
 * and the functions select the deployments an event concerns.
 */
export const rules: readonly RuleSpec[] = [
  {
    name: "deploy-on-image-push",
    description: "Successful ECR image pushes",
    pattern: {
      source: ["aws.ecr"],
      "detail-type": ["ECR Image Action"],
      detail: { "action-type": ["PUSH"], result: ["SUCCESS"] },
    },
    target: "deploy-trigger",
  },
  {
    name: "deploy-on-github",
    description: "GitHub releases and deployments, as the webhook receiver puts them on the bus",
    pattern: { source: ["github.com"], "detail-type": ["release", "deployment"] },
    target: "deploy-trigger",
  },
  {
    name: "scan-results",
    description: "Finished image scans, ECR basic scanning and Amazon Inspector",
    pattern: {
      $or: [
        { source: ["aws.ecr"], "detail-type": ["ECR Image Scan"] },
        { source: ["aws.inspector2"], "detail-type": ["Inspector2 Scan"] },
      ],
    },
    target: "scan-result",
  },
  {
    name: "rollback-on-alarm",
    description: "Any CloudWatch alarm going to ALARM (the function knows which alarms guard deployments)",
    pattern: {
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { state: { value: ["ALARM"] } },
    },
    target: "rollback",
  },
];

export const stateMachines: readonly StateMachineSpec[] = [
  {
    name: "deploy",
    description: "Scan gate, publish a version, shift alias traffic with alarm checks between steps",
    definition: ({ deployStepsFunction }) => deployDefinition(deployStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["deployStepsFunction"] }],
  },
];

/** The IAM actions a function or state machine is granted that its code sends itself. */
export function sentActions(permissions: readonly Permission[]): string[] {
  return [...new Set(permissions.filter((p) => !p.implied).flatMap((p) => p.actions))].sort();
}
