import { AwsErrors, ExecutionErrors } from "../errors.ts";
import { boundedPoll, catchTo, lambdaTask, type StateMachineDefinition, whenEquals } from "./asl.ts";
import {
  type FailoverAction,
  failoverDefinition,
  readWorld,
  regionalTask,
  validateState,
} from "./failover.ts";

/**
 * The failback state machine: first resynchronise — create a replica of the current primary in
 * the old primary region and wait (bounded) until it is available and its lag is within the
 * RPO — then the failover's own states with the regions swapped: preflight, approval, promote
 * the new replica (the planned switchover back), configuration and DNS back, verify, report.
 * Every resync step reads before it writes, as the failover's parts do.
 */
export function failbackDefinition(stepsFunctionArn: string): StateMachineDefinition {
  const failover = failoverDefinition(stepsFunctionArn);
  const resync = boundedPoll({
    check: {
      start: "ReadResyncReplica",
      states: {
        // In the old primary region (the failback's secondary), through the steps function.
        ReadResyncReplica: readWorld(
          stepsFunctionArn,
          {
            call: "rds:DescribeDBInstances",
            parameters: { "DBInstanceIdentifier.$": "$.resync.replica" },
            notFound: AwsErrors.DbInstanceNotFound,
          },
          "$.world.resync",
          "PlanResync",
        ),
        PlanResync: lambdaTask<FailoverAction>(stepsFunctionArn, "plan", {
          next: "ResyncNeeded?",
          ResultPath: "$.plans.resync",
          payload: { part: "resync", "world.$": "$.world.resync" },
        }),
        // Called in the destination region, the source named by its ARN; an encrypted source
        // needs a KMS key of the destination region, and a VPC replica a subnet group there
        // (null ones are not sent). SourceRegion lets the SDK presign the source-region request.
        CreateResyncReplica: {
          ...regionalTask(stepsFunctionArn, "rds:CreateDBInstanceReadReplica", {
            "DBInstanceIdentifier.$": "$.resync.replica",
            "SourceDBInstanceIdentifier.$": "$.resync.source",
            "SourceRegion.$": "$.primaryRegion",
            "AvailabilityZone.$": "$.resync.availabilityZone",
            "KmsKeyId.$": "$.resync.kmsKeyId",
            "DBSubnetGroupName.$": "$.resync.dbSubnetGroupName",
          }),
          ResultPath: null,
          // Created meanwhile (a replay, a human): read again and decide again.
          Catch: [catchTo(AwsErrors.DbInstanceAlreadyExists, "ReadResyncReplica")],
          Next: "ResyncBound?",
        },
      },
    },
    done: {
      state: "ResyncNeeded?",
      choices: whenEquals("$.plans.resync.value.act", { write: "CreateResyncReplica", wait: "ResyncBound?" }),
      // In sync (or a dry run): on to the failover's own states.
      otherwise: "Database?",
    },
    counter: {
      path: "$.progress.resync",
      max: "$.resync.maxChecks",
      bound: "ResyncBound?",
      count: "CountResyncCheck",
    },
    wait: { state: "WaitForResync", secondsPath: "$.resync.intervalSeconds" },
    timeout: {
      state: "ResyncTimedOut",
      fail: {
        Type: "Fail",
        Error: ExecutionErrors.ResyncTimedOut,
        Cause:
          "The new replica did not catch up within its bound: nothing was switched back; redrive to keep waiting",
      },
    },
  });
  return {
    ...failover,
    Comment:
      "Switchyard failback: resync a replica in the old primary region, then promote it, point configuration and DNS back, verify, report",
    States: {
      ...failover.States,
      Validate: validateState(stepsFunctionArn, "Resync?"),
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
