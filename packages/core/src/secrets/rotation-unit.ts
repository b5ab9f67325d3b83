import { ErrorNames, SwitchyardError } from "../errors.ts";
import { deadLetterGrant, stateTableGrant } from "../permissions.ts";
import { contextFunction, type StepSpec, type StepsUnit } from "../unit.ts";
import { rotateAgainGrants } from "./grants.ts";
import {
  parseInvocation,
  ROTATION_STEPS,
  type RotationDeps,
  type RotationInvocation,
  type RotationStep,
  runRotationStep,
} from "./protocol.ts";

/**
 * Secrets Manager's rotation protocol, as steps: Secrets Manager invokes the rotate function with
 * `Step` (createSecret, setSecret, testSecret, finishSecret). Every step runs the protocol's
 * checks first (rotation enabled, token staged AWSPENDING, a managed secret) in protocol.ts.
 */
export const rotationStepSpec: StepSpec<RotationStep, RotationDeps, RotationInvocation, RotationInvocation> =
  {
    actions: ROTATION_STEPS,
    payload: parseInvocation,
    action: (invocation) => invocation.Step,
    unknown: (action, known) =>
      new SwitchyardError(
        ErrorNames.UnknownStep,
        `unknown step "${action}"; Secrets Manager's steps are ${known.join(", ")}`,
      ),
    input: (invocation) => invocation,
    logKeys: (invocation) => ({ correlationId: invocation.ClientRequestToken }),
    steps: {
      createSecret: (deps, invocation) => runRotationStep(deps, { ...invocation, Step: "createSecret" }),
      setSecret: (deps, invocation) => runRotationStep(deps, { ...invocation, Step: "setSecret" }),
      testSecret: (deps, invocation) => runRotationStep(deps, { ...invocation, Step: "testSecret" }),
      finishSecret: (deps, invocation) => runRotationStep(deps, { ...invocation, Step: "finishSecret" }),
    },
  };

/**
 * Rotation: Switchyard's Secrets Manager rotation function for the config's secrets[], and the
 * hourly sweep that recovers rotations left AWSPENDING.
 */
export const rotationUnit: StepsUnit<typeof rotationStepSpec> = {
  reaction: "rotate",
  functions: [
    contextFunction({
      name: "rotate",
      description:
        "Secrets Manager rotation function: createSecret, setSecret, testSecret, finishSecret by rotator",
      timeoutSeconds: 60,
      memoryMB: 256,
      permissions: [
        {
          actions: [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage",
            "secretsmanager:GetRandomPassword",
          ],
          resources: ["managedSecrets"],
        },
        { actions: ["secretsmanager:GetSecretValue"], resources: ["rotationCredentials"] },
      ],
    }),
    contextFunction({
      name: "secrets-stuck",
      description: "Hourly: rotations left AWSPENDING are reported on the bus and recovered",
      timeoutSeconds: 300,
      memoryMB: 256,
      permissions: [
        ...rotateAgainGrants,
        { actions: ["events:PutEvents"], resources: ["eventBus"] },
        stateTableGrant("PutItem"),
        deadLetterGrant,
      ],
    }),
  ],
  rules: [
    {
      name: "secrets-stuck-check",
      description: "Every hour: find and recover secret rotations left AWSPENDING",
      schedule: "rate(1 hour)",
      pattern: {
        source: ["aws.events"],
        "detail-type": ["Scheduled Event"],
        // The rule is named with the stack's prefix: <prefix>secrets-stuck-check.
        resources: [{ suffix: "secrets-stuck-check" }],
      },
      target: "secrets-stuck",
    },
  ],
  steps: rotationStepSpec,
};
