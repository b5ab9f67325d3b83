import type { CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { deadLetterGrant, notificationsGrant, stateTableGrant } from "../permissions.ts";
import { contextFunction, parseWith, type SameActions, type StepSpec, type StepsUnit } from "../unit.ts";
import { type DeployAction, deployDefinition } from "../workflows/deploy.ts";
import { DeployInput, DeployStepPayload } from "./input.ts";
import { withDeployReports } from "./notify.ts";
import { DEPLOY_ACTIONS, type DeployStepAction, deploySteps } from "./steps.ts";

// A Task action the workflow calls but the steps do not define (or the reverse) fails to compile.
const sameActions: SameActions<DeployStepAction, DeployAction> = true;
void sameActions;

const invalidInput = (message: string) => new SwitchyardError(ErrorNames.InvalidInput, message);

/** The deploy state machine's steps: the deploy-steps function runs them. */
export const deployStepSpec: StepSpec<DeployStepAction, CoreDeps, DeployInput, DeployStepPayload> = {
  actions: DEPLOY_ACTIONS,
  payload: (raw) =>
    parseWith(DeployStepPayload, raw, (issues) => invalidInput(`invalid deploy step payload: ${issues}`)),
  action: (payload) => payload.action,
  unknown: (action, known) =>
    invalidInput(`unknown deploy step "${action}"; expected one of ${known.join(", ")}`),
  input: (payload) => {
    const input = parseWith(DeployInput, payload.input, (issues) =>
      invalidInput(`invalid deploy input: ${issues}`),
    );
    logger.appendKeys({
      correlationId: input.correlationId,
      deployment: input.deployment,
      step: payload.action,
    });
    return input;
  },
  logKeys: (payload) => ({ executionArn: payload.execution }),
  steps: withDeployReports(deploySteps),
};

/**
 * Deploy: an ECR push or a GitHub release/deployment starts a deploy execution (scan gate,
 * publish, shift with alarm checks, finish or roll back); scan results answer the gate; a
 * failed execution is reported to a human.
 */
export const deployUnit: StepsUnit<typeof deployStepSpec> = {
  reaction: "deploy",
  functions: [
    contextFunction({
      name: "deploy-trigger",
      description:
        "ECR push of a watched repository:tag, GitHub release or deployment → start deploy executions",
      timeoutSeconds: 30,
      memoryMB: 256,
      permissions: [
        // UpdateAlias and StopExecution: a newer push supersedes the deployment in flight.
        { actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: ["managedFunctions"] },
        { actions: ["states:StartExecution"], resources: ["deployStateMachine"] },
        { actions: ["states:DescribeExecution", "states:StopExecution"], resources: ["deployExecutions"] },
        { actions: ["ecr:DescribeImages"], resources: ["imageRepositories"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem", "DeleteItem"),
        notificationsGrant,
        deadLetterGrant,
      ],
    }),
    contextFunction({
      name: "scan-result",
      description: "ECR or Inspector scan finished → answer deployments waiting at the scan gate",
      timeoutSeconds: 30,
      memoryMB: 256,
      permissions: [
        { actions: ["states:SendTaskSuccess"], resources: ["deployStateMachine"] },
        // GetItem: a late, older scan is superseded and the newest stored result is read instead.
        stateTableGrant("GetItem", "PutItem", "Query"),
        deadLetterGrant,
      ],
    }),
    contextFunction({
      name: "deploy-steps",
      description: "The deploy state machine's steps: gate, publish, check alarms, shift, finish, roll back",
      timeoutSeconds: 60,
      memoryMB: 512,
      permissions: [
        {
          actions: [
            "lambda:GetAlias",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
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
        // Traffic hooks (hooks.ts): invoke a Lambda hook; an HTTP probe's result answers its own wait.
        { actions: ["lambda:InvokeFunction"], resources: ["deployHookFunctions"] },
        { actions: ["states:SendTaskFailure"], resources: ["deployStateMachine"] },
        // StartExecution: the finish step starts a push queued behind this deployment.
        { actions: ["states:SendTaskSuccess", "states:StartExecution"], resources: ["deployStateMachine"] },
        // Query: the audit log's timeline in deploy notifications (notify.ts).
        stateTableGrant("GetItem", "PutItem", "UpdateItem", "Query"),
        notificationsGrant,
        // The GitHub token of deployments that write statuses back (github.statuses.tokenSecret).
        { actions: ["secretsmanager:GetSecretValue"], resources: ["deployGithubTokens"] },
      ],
    }),
    contextFunction({
      name: "deploy-watch",
      description:
        "A deploy execution ended: restore and settle a stopped or timed-out one, tell a human about a failed one, start a queued push",
      timeoutSeconds: 30,
      memoryMB: 256,
      permissions: [
        { actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: ["managedFunctions"] },
        { actions: ["states:StartExecution"], resources: ["deployStateMachine"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem"),
        notificationsGrant,
        deadLetterGrant,
      ],
    }),
  ],
  rules: [
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
      name: "deploy-execution-failed",
      description:
        "Deploy executions that failed, timed out or were stopped (the function ignores the ends its steps already reported, and starts queued pushes)",
      pattern: {
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: {
          status: ["FAILED", "TIMED_OUT", "ABORTED"],
          stateMachineArn: [{ suffix: "-deploy" }],
        },
      },
      target: "deploy-watch",
    },
  ],
  stateMachine: {
    name: "deploy",
    description: "Scan gate, publish a version, shift alias traffic with alarm checks between steps",
    definition: ({ deployStepsFunction }) => deployDefinition(deployStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["deployStepsFunction"] }],
  },
  input: DeployInput,
  steps: deployStepSpec,
};
