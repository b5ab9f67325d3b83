import { CONTEXT_ENV, type CoreDeps } from "../context.ts";
import { ErrorNames, SwitchyardError } from "../errors.ts";
import { logger } from "../observability/logger.ts";
import { deadLetterGrant, notificationsGrant, type Permission, stateTableGrant } from "../permissions.ts";
import { parseWith, type SameActions, type StepSpec, type StepsUnit } from "../unit.ts";
import { type CostStep, costResponseDefinition } from "../workflows/cost-response.ts";
import { ACTION_UNITS } from "./actions.ts";
import { CostResponseInput, CostStepPayload } from "./input.ts";
import { COST_ACTIONS, type CostStepAction, costSteps } from "./steps.ts";

// A Task action the workflow calls but the steps do not define (or the reverse) fails to compile.
const sameActions: SameActions<CostStepAction, CostStep> = true;
void sameActions;

const invalidInput = (message: string) => new SwitchyardError(ErrorNames.InvalidInput, message);

/** What the cost action units send, from their own declarations (cost/actions.ts). */
const costActions: readonly Permission[] = Object.values(ACTION_UNITS).flatMap((unit) => unit.permissions);
/** What the state machine sends for them itself: EC2, through its AWS SDK integrations (ADR 0030). */
const machineActions: readonly Permission[] = Object.values(ACTION_UNITS).flatMap(
  (unit: { machinePermissions?: readonly Permission[] }) => unit.machinePermissions ?? [],
);

/** The cost-response state machine's steps: the cost-steps function runs them. */
export const costStepSpec: StepSpec<CostStepAction, CoreDeps, CostResponseInput, CostStepPayload> = {
  actions: COST_ACTIONS,
  payload: (raw) =>
    parseWith(CostStepPayload, raw, (issues) => invalidInput(`invalid cost step payload: ${issues}`)),
  action: (payload) => payload.action,
  unknown: (action, known) =>
    invalidInput(`unknown cost step "${action}"; expected one of ${known.join(", ")}`),
  input: (payload) => {
    const input = parseWith(CostResponseInput, payload.input, (issues) =>
      invalidInput(`invalid cost input: ${issues}`),
    );
    logger.appendKeys({
      correlationId: input.correlationId,
      anomalyId: input.anomalyId,
      step: payload.action,
    });
    return input;
  },
  logKeys: (payload) => ({ executionArn: payload.execution }),
  steps: costSteps,
};

/**
 * Cost response: a Cost Anomaly Detection alert is judged against the cost policy; the response
 * plans the tier's actions, waits for approval of destructive ones, applies, watches, reverts.
 */
export const costUnit: StepsUnit<typeof costStepSpec> = {
  reaction: "cost",
  functions: [
    {
      name: "cost-intake",
      handler: "packages/functions/src/cost-intake.handler",
      description:
        "Cost Anomaly Detection alert (EventBridge aws.ce, or the SNS subscription) → judge it, start or signal its one response",
      timeoutSeconds: 30,
      memoryMB: 256,
      env: CONTEXT_ENV,
      permissions: [
        { actions: ["states:StartExecution"], resources: ["costStateMachine"] },
        { actions: ["states:SendTaskSuccess"], resources: ["costStateMachine"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem"),
        deadLetterGrant,
      ],
    },
    {
      name: "cost-steps",
      handler: "packages/functions/src/cost-steps.handler",
      description: "The cost-response state machine's steps: plan, ask approval, apply, watch, revert",
      timeoutSeconds: 60,
      memoryMB: 256,
      env: CONTEXT_ENV,
      permissions: [
        ...costActions,
        { actions: ["states:SendTaskSuccess"], resources: ["costStateMachine"] },
        stateTableGrant("GetItem", "PutItem", "UpdateItem"),
        notificationsGrant,
      ],
    },
  ],
  rules: [
    {
      name: "cost-anomaly",
      description: "Cost Anomaly Detection alerts (the function judges them against the cost policy)",
      pattern: { source: ["aws.ce"], "detail-type": ["Anomaly Detected"] },
      target: "cost-intake",
    },
  ],
  stateMachine: {
    name: "cost-response",
    description: "Answer one cost anomaly: plan, approve destructive actions, apply, watch, revert",
    definition: ({ costStepsFunction }) => costResponseDefinition(costStepsFunction),
    permissions: [
      { actions: ["lambda:InvokeFunction"], resources: ["costStepsFunction"] },
      ...machineActions,
    ],
  },
  input: CostResponseInput,
  steps: costStepSpec,
};
