import type { State, StateMachineDefinition, TaskState } from "./asl.ts";
import { failoverDefinition } from "./failover.ts";

/**
 * The failback state machine: first resynchronise — create a replica of the current primary in
 * the old primary region and wait (bounded) until it is available and its lag is within the
 * RPO — then the failover's own states with the regions swapped: preflight, approval, promote
 * the new replica (the planned switchover back), configuration and DNS back, verify, report.
 * Every resync step reads before it writes, as the failover's parts do.
 */
export function failbackDefinition(stepsFunctionArn: string): StateMachineDefinition {
  const failover = failoverDefinition(stepsFunctionArn);
  const validate = failover.States.Validate as TaskState;
  const retry = (failover.States.ReadDatabase as TaskState).Retry ?? [];
  const notFound = ["Rds.DbInstanceNotFoundException", "Rds.DBInstanceNotFound"];
  const resync: Record<string, State> = {
    ReadResyncReplica: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:rds:describeDBInstances",
      Parameters: { "DbInstanceIdentifier.$": "$.resync.replica" },
      ResultPath: "$.world.resync",
      Retry: retry,
      Catch: [{ ErrorEquals: notFound, Next: "PlanResync", ResultPath: "$.world.resync" }],
      Next: "PlanResync",
    },
    PlanResync: {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        FunctionName: stepsFunctionArn,
        Payload: {
          action: "plan",
          part: "resync",
          "input.$": "$",
          "execution.$": "$$.Execution.Id",
          "world.$": "$.world.resync",
        },
      },
      ResultSelector: { "value.$": "$.Payload" },
      ResultPath: "$.plans.resync",
      Retry: (validate.Retry ?? []).slice(0, 1),
      Next: "ResyncNeeded?",
    },
    "ResyncNeeded?": {
      Type: "Choice",
      Choices: [
        { Variable: "$.plans.resync.value.act", StringEquals: "write", Next: "CreateResyncReplica" },
        { Variable: "$.plans.resync.value.act", StringEquals: "wait", Next: "ResyncBound?" },
      ],
      Default: "Database?",
    },
    CreateResyncReplica: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:rds:createDBInstanceReadReplica",
      Parameters: {
        "DbInstanceIdentifier.$": "$.resync.replica",
        "SourceDBInstanceIdentifier.$": "$.resync.source",
        "AvailabilityZone.$": "$.resync.availabilityZone",
      },
      ResultPath: null,
      Retry: retry,
      // Created meanwhile (a replay, a human): read again and decide again.
      Catch: [
        {
          ErrorEquals: ["Rds.DbInstanceAlreadyExistsException", "Rds.DBInstanceAlreadyExists"],
          Next: "ReadResyncReplica",
          ResultPath: "$.error",
        },
      ],
      Next: "ResyncBound?",
    },
    "ResyncBound?": {
      Type: "Choice",
      Choices: [
        {
          Variable: "$.progress.resyncChecks",
          NumericGreaterThanEqualsPath: "$.resync.maxChecks",
          Next: "ResyncTimedOut",
        },
      ],
      Default: "CountResyncCheck",
    },
    CountResyncCheck: {
      Type: "Pass",
      Parameters: {
        "promotionChecks.$": "$.progress.promotionChecks",
        "dnsChecks.$": "$.progress.dnsChecks",
        "resyncChecks.$": "States.MathAdd($.progress.resyncChecks, 1)",
      },
      ResultPath: "$.progress",
      Next: "WaitForResync",
    },
    WaitForResync: { Type: "Wait", SecondsPath: "$.resync.intervalSeconds", Next: "ReadResyncReplica" },
    ResyncTimedOut: {
      Type: "Fail",
      Error: "ResyncTimedOut",
      Cause:
        "The new replica did not catch up within its bound: nothing was switched back; redrive to keep waiting",
    },
  };
  return {
    ...failover,
    Comment:
      "Switchyard failback: resync a replica in the old primary region, then promote it, point configuration and DNS back, verify, report",
    States: {
      ...failover.States,
      Validate: { ...validate, Next: "Resync?" },
      // An Aurora global database needs no resync: its old primary cluster is a secondary already.
      "Resync?": {
        Type: "Choice",
        Choices: [{ Variable: "$.resync", IsNull: true, Next: "Database?" }],
        Default: "ReadResyncReplica",
      },
      ...resync,
    },
  };
}
