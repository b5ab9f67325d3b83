import * as z from "zod";

/**
 * "Step Functions Execution Status Change", as documented in
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html. The detail mirrors
 * DescribeExecution, so newer fields (redriveCount, error, cause, ...) pass through untouched.
 */
const ExecutionStatus = z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]);

export const ExecutionStatusChangeDetail = z.looseObject({
  executionArn: z.string().startsWith("arn:", "expected an execution ARN (arn:...:execution:...)"),
  stateMachineArn: z.string().startsWith("arn:", "expected a state machine ARN (arn:...:stateMachine:...)"),
  name: z.string().min(1),
  status: ExecutionStatus,
  // Epoch milliseconds.
  startDate: z.number().int().nonnegative(),
  stopDate: z.number().int().nonnegative().nullish(),
  // Execution input and output are JSON documents serialised as strings; null when not included.
  input: z.string().nullish(),
  output: z.string().nullish(),
});
export type ExecutionStatusChangeDetail = z.infer<typeof ExecutionStatusChangeDetail>;
