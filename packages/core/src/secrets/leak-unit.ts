import { ErrorNames, SwitchyardError } from "../errors.ts";
import { deadLetterGrant, notificationsGrant, stateTableGrant } from "../permissions.ts";
import { contextFunction, parseWith, type StepSpec, type StepsUnit } from "../unit.ts";
import { rotateOnLeakDefinition } from "../workflows/rotate-on-leak.ts";
import { rotateAgainGrants } from "./grants.ts";
import { LEAK_STEPS, LeakInput, LeakPayload, type LeakStep, type LeakStepDeps, leakSteps } from "./leak.ts";

const invalid = (message: string) => new SwitchyardError(ErrorNames.InvalidInvocation, message);

/**
 * The rotate-on-leak state machine's steps: the secret-leak-steps function runs them. The
 * workflow's Task actions are typed by `LEAK_STEPS` itself (workflows/rotate-on-leak.ts).
 */
export const leakStepSpec: StepSpec<LeakStep, LeakStepDeps, LeakInput, LeakPayload> = {
  actions: LEAK_STEPS,
  payload: (raw) =>
    parseWith(LeakPayload, raw, (issues) => invalid(`invalid rotate-on-leak payload: ${issues}`)),
  action: (payload) => payload.action,
  unknown: (action, known) =>
    invalid(`unknown rotate-on-leak step "${action}"; expected one of ${known.join(", ")}`),
  input: (payload) => payload.input,
  logKeys: (payload) => ({ correlationId: payload.input.correlationId }),
  steps: leakSteps,
  summary: (payload, result) => ({
    secret: payload.input.secret,
    outcome: (result as { outcome?: unknown } | null)?.outcome,
  }),
};

/**
 * Rotate on leak: a GitHub secret scanning alert for a managed secret rotates it now, verifies,
 * invalidates the leaked credential and resolves the alert, through its state machine.
 */
export const rotateOnLeakUnit: StepsUnit<typeof leakStepSpec> = {
  reaction: "rotate-on-leak",
  functions: [
    contextFunction({
      name: "secret-leak",
      description:
        "GitHub secret scanning alert → rotate-on-leak execution for the managed secret it concerns",
      timeoutSeconds: 30,
      memoryMB: 256,
      permissions: [
        { actions: ["states:StartExecution"], resources: ["rotateOnLeakStateMachine"] },
        { actions: ["states:DescribeExecution"], resources: ["rotateOnLeakExecutions"] },
        stateTableGrant("GetItem", "PutItem"),
        notificationsGrant,
        deadLetterGrant,
      ],
    }),
    contextFunction({
      name: "secret-leak-steps",
      description:
        "The rotate-on-leak state machine's steps: rotate, verify, invalidate, resolve the alert, record",
      timeoutSeconds: 60,
      memoryMB: 256,
      permissions: [...rotateAgainGrants, stateTableGrant("PutItem"), notificationsGrant],
    }),
  ],
  rules: [
    {
      name: "rotate-on-leak",
      description: "GitHub secret scanning alerts that report a leak (created, publicly_leaked)",
      pattern: {
        source: ["github.com"],
        "detail-type": ["secret_scanning_alert"],
        detail: { action: ["created", "publicly_leaked"] },
      },
      target: "secret-leak",
    },
  ],
  stateMachine: {
    name: "rotate-on-leak",
    description:
      "Rotate a leaked secret now, verify, invalidate the leaked credential, resolve the GitHub alert",
    definition: ({ secretLeakStepsFunction }) => rotateOnLeakDefinition(secretLeakStepsFunction),
    permissions: [{ actions: ["lambda:InvokeFunction"], resources: ["secretLeakStepsFunction"] }],
  },
  input: LeakInput,
  steps: leakStepSpec,
};
