import * as z from "zod";
import { name, text } from "../bounds.ts";

/**
 * "Step Functions Execution Status Change", as documented in
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html. The detail mirrors
 * DescribeExecution, so newer fields (redriveCount, error, cause, ...) pass through untouched.
 */
const EpochMillis = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const ExecutionStatus = z.enum(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]);

export const ExecutionStatusChangeDetail = z.looseObject({
  // DescribeExecution (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html):
  // executionArn and stateMachineArn 1–2048, name 1–80.
  executionArn: text(2048).startsWith("arn:", "expected an execution ARN (arn:...:execution:...)"),
  stateMachineArn: text(2048).startsWith("arn:", "expected a state machine ARN (arn:...:stateMachine:...)"),
  name: name(80),
  status: ExecutionStatus,
  // Epoch milliseconds.
  startDate: EpochMillis,
  stopDate: EpochMillis.nullish(),
  // Execution input and output are JSON documents serialised as strings; null when not included.
  input: z.string().nullish(),
  output: z.string().nullish(),
});
export type ExecutionStatusChangeDetail = z.infer<typeof ExecutionStatusChangeDetail>;
