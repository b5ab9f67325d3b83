import { createHash, randomUUID } from "node:crypto";
import type { BusEventOut } from "@switchyard/sim";

/**
 * The bench ships with the CLI, so it cannot read test/fixtures at run time: it builds its
 * events here, in the shape of the AWS-documented samples the fixtures hold verbatim
 * (Amazon ECR events and EventBridge: "Event for a completed image push", "Event for a
 * completed image scan (basic scanning)", "Event for an image deletion"; CloudWatch "Alarm
 * events and EventBridge": "State change for a single-metric alarm"; Step Functions
 * "Execution Status Change" events). Only ids, times, digests, repository names, finding
 * counts and alarm states vary, so every event is a distinct delivery of a documented shape.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** A full-length image digest, distinct for every `n` (AWS's samples shorten theirs). */
export function digestOf(n: number): string {
  return `sha256:${createHash("sha256").update(`switchyard-bench-${n}`).digest("hex")}`;
}

export function imagePush(repository: string, tag: string, digest: string, time: string): BusEventOut {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "ECR Image Action",
    source: "aws.ecr",
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [],
    detail: {
      result: "SUCCESS",
      "repository-name": repository,
      "image-digest": digest,
      "action-type": "PUSH",
      "image-tag": tag,
    },
  };
}

export function imageDelete(repository: string, tag: string, digest: string, time: string): BusEventOut {
  const event = imagePush(repository, tag, digest, time);
  return { ...event, detail: { ...(event.detail as object), "action-type": "DELETE" } };
}

export function imageScan(
  repository: string,
  digest: string,
  counts: Record<string, number>,
  time: string,
): BusEventOut {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "ECR Image Scan",
    source: "aws.ecr",
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repository}`],
    detail: {
      "scan-status": "COMPLETE",
      "repository-name": repository,
      "finding-severity-counts": counts,
      "image-digest": digest,
      "image-tags": [],
    },
  };
}

/** CloudWatch's timestamp format in alarm events: 2019-10-02T17:04:40.985+0000. */
const alarmTimestamp = (iso: string) => new Date(iso).toISOString().replace("Z", "+0000");

export function alarmStateChange(alarmName: string, value: "OK" | "ALARM", time: string): BusEventOut {
  const previous = value === "ALARM" ? "OK" : "ALARM";
  const reason = (state: string) =>
    `Threshold Crossed: 1 out of the last 1 datapoints [${state === "ALARM" ? "99.5" : "0.07"}] was ` +
    `${state === "ALARM" ? "" : "not "}greater than the threshold (50.0)`;
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
    detail: {
      alarmName,
      configuration: {
        description: "Goes into alarm when server CPU utilization is too high!",
        metrics: [
          {
            id: "30b6c6b2-a864-43a2-4877-c09a1afc3b87",
            metricStat: {
              metric: {
                dimensions: { InstanceId: "i-12345678901234567" },
                name: "CPUUtilization",
                namespace: "AWS/EC2",
              },
              period: 300,
              stat: "Average",
            },
            returnData: true,
          },
        ],
      },
      previousState: { reason: reason(previous), timestamp: alarmTimestamp(time), value: previous },
      state: { reason: reason(value), timestamp: alarmTimestamp(time), value },
    },
  };
}

export function executionSucceeded(time: string): BusEventOut {
  const name = randomUUID();
  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:state-machine-name:${name}`;
  const at = Date.parse(time);
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Step Functions Execution Status Change",
    source: "aws.states",
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:state-machine`,
      name,
      status: "SUCCEEDED",
      startDate: at - 21,
      stopDate: at,
      input: "{}",
      output: '"Hello World!"',
    },
  };
}
