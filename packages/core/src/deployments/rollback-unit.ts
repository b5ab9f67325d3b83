import { deadLetterGrant, notificationsGrant, stateTableGrant } from "../permissions.ts";
import { contextFunction, type ReactionUnit } from "../unit.ts";

/**
 * Rollback: a guarding alarm going to ALARM puts the alias back on the stable version within
 * seconds and stops the deploy execution (deployments/alarm.ts). No state machine: it must not
 * wait for one.
 */
export const rollbackUnit: ReactionUnit = {
  reaction: "rollback",
  functions: [
    contextFunction({
      name: "rollback",
      description: "Guarding alarm → ALARM: alias back to the stable version, deploy execution stopped",
      timeoutSeconds: 30,
      memoryMB: 512,
      permissions: [
        { actions: ["cloudwatch:DescribeAlarms"], resources: ["managedAlarms"] },
        { actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: ["managedFunctions"] },
        { actions: ["states:StopExecution"], resources: ["deployExecutions"] },
        // GetItem and Query: the webhook's rolled-back notice reads the deployment's timeline.
        stateTableGrant("BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"),
        notificationsGrant,
        deadLetterGrant,
      ],
    }),
  ],
  rules: [
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
  ],
};
