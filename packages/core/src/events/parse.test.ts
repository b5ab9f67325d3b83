import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type KnownEvent, MAX_EVENT_BYTES, type ParseResult, parseEvent } from "./parse.ts";

const FIXTURES = new URL("../../../../test/fixtures/", import.meta.url);

function fixture(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8"));
}

/** A fixture with `edit` applied to its detail: the real event, changed in one place. */
function withDetail(path: string, edit: (detail: Record<string, unknown>) => void): Record<string, unknown> {
  const event = fixture(path);
  edit(event.detail as Record<string, unknown>);
  return event;
}

function accepted(result: ParseResult): KnownEvent {
  if (!result.ok) throw new Error(`expected the event to be accepted, got: ${result.reason}`);
  return result.event;
}

function rejected(result: ParseResult): Extract<ParseResult, { ok: false }> {
  if (result.ok) throw new Error(`expected a rejection, got a ${result.event.kind} event`);
  return result;
}

function expectKind<K extends KnownEvent["kind"]>(
  event: KnownEvent,
  kind: K,
): Extract<KnownEvent, { kind: K }> {
  expect(event.kind).toBe(kind);
  return event as Extract<KnownEvent, { kind: K }>;
}

describe("parseEvent on Amazon ECR events", () => {
  it("reads a pushed image's repository, digest, tag and outcome", () => {
    const event = accepted(parseEvent(fixture("aws/ecr/image-push.json")));

    const { detail } = expectKind(event, "ecr.image-action").event;
    expect(detail).toMatchObject({
      "action-type": "PUSH",
      result: "SUCCESS",
      "repository-name": "my-repository-name",
      "image-tag": "latest",
    });
    // AWS's sample digest is 60 hex digits, not 64: real documentation must parse.
    expect(detail["image-digest"]).toBe(
      "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
    );
  });

  it("reads an image deletion as an image action of type DELETE", () => {
    const event = accepted(parseEvent(fixture("aws/ecr/image-delete.json")));

    expect(expectKind(event, "ecr.image-action").event.detail["action-type"]).toBe("DELETE");
  });

  it("normalises a basic scan, taking the registry from the repository ARN in resources", () => {
    const event = accepted(parseEvent(fixture("aws/ecr/image-scan.json")));

    expect(expectKind(event, "image-scan").scan).toEqual({
      scanner: "ecr-basic",
      status: "COMPLETE",
      repository: "my-repository-name",
      registryId: "123456789012",
      digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
      tags: [],
      severityCounts: { CRITICAL: 10, MEDIUM: 9 },
    });
  });

  it("rejects a completed scan without severity counts rather than reading it as clean", () => {
    const event = withDetail("aws/ecr/image-scan.json", (detail) => {
      delete detail["finding-severity-counts"];
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe(
      "detail.finding-severity-counts: required when scan-status is COMPLETE (expected an object of severity counts)",
    );
  });

  it("accepts an unfinished scan that has no severity counts yet", () => {
    const event = withDetail("aws/ecr/image-scan.json", (detail) => {
      detail["scan-status"] = "IN_PROGRESS";
      delete detail["finding-severity-counts"];
    });

    const { scan } = expectKind(accepted(parseEvent(event)), "image-scan");

    expect(scan).toMatchObject({ status: "IN_PROGRESS", severityCounts: {} });
  });

  it("does not know ECR's pull-through-cache events", () => {
    const event = { ...fixture("aws/ecr/image-push.json"), "detail-type": "ECR Pull Through Cache Action" };

    const rejection = rejected(parseEvent(event));

    expect(rejection).toMatchObject({
      unsupported: true,
      reason: 'no parser for source "aws.ecr" with detail-type "ECR Pull Through Cache Action"',
    });
  });
});

describe("parseEvent on Amazon Inspector scans of ECR images", () => {
  it("gives the plain repository name and its registry where Inspector sends the repository ARN", () => {
    const event = accepted(parseEvent(fixture("aws/inspector2/ecr-image-scan.json")));

    expect(expectKind(event, "image-scan").scan).toEqual({
      scanner: "inspector2",
      status: "INITIAL_SCAN_COMPLETE",
      repository: "amazon/amazon-ecs-sample",
      registryId: "123456789012",
      digest: "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e5EXAMPLE",
      tags: ["latest"],
      // TOTAL (158) is Inspector's sum and is not a severity.
      severityCounts: { CRITICAL: 7, HIGH: 61, MEDIUM: 62 },
    });
  });

  it("reads a scan with no findings as zero counts", () => {
    const event = accepted(parseEvent(fixture("aws/inspector2/ecr-image-initial-scan-no-findings.json")));

    expect(expectKind(event, "image-scan").scan.severityCounts).toEqual({ CRITICAL: 0, HIGH: 0, MEDIUM: 0 });
  });

  it("counts Inspector's UNTRIAGED findings as UNDEFINED severity", () => {
    const event = withDetail("aws/inspector2/ecr-image-scan.json", (detail) => {
      detail["finding-severity-counts"] = { HIGH: 1, UNTRIAGED: 2, TOTAL: 3 };
    });

    const { scan } = expectKind(accepted(parseEvent(event)), "image-scan");

    expect(scan.severityCounts).toEqual({ HIGH: 1, UNDEFINED: 2 });
  });

  it("passes over a scan of a Lambda function as unsupported, not malformed", () => {
    const rejection = rejected(parseEvent(fixture("aws/inspector2/lambda-function-initial-scan.json")));

    expect(rejection).toMatchObject({
      unsupported: true,
      id: "4f290a7c-361b-c442-03c8-a629f6f20d6c",
      reason:
        "Inspector2 Scan of a resource other than an ECR image (the detail has no repository-name or image-digest)",
    });
  });
});

describe("parseEvent on CloudWatch alarm state changes", () => {
  it("reads a metric alarm's new and previous state and its metric", () => {
    const event = accepted(parseEvent(fixture("aws/cloudwatch/alarm-state-change-metric.json")));

    const { detail } = expectKind(event, "cloudwatch.alarm-state-change").event;
    expect(detail.alarmName).toBe("ServerCpuTooHigh");
    expect(detail.state.value).toBe("ALARM");
    expect(detail.previousState.value).toBe("OK");
    expect(detail.configuration.metrics?.[0]?.metricStat?.metric.name).toBe("CPUUtilization");
  });

  it("reads a metric math alarm's expression", () => {
    const event = accepted(parseEvent(fixture("aws/cloudwatch/alarm-state-change-metric-math.json")));

    const { detail } = expectKind(event, "cloudwatch.alarm-state-change").event;
    expect(detail.previousState.value).toBe("INSUFFICIENT_DATA");
    expect(detail.configuration.metrics?.[0]?.expression).toBe("SUM(METRICS())");
  });

  it("reads an anomaly detection alarm's band expression", () => {
    const event = accepted(parseEvent(fixture("aws/cloudwatch/alarm-state-change-anomaly-detection.json")));

    const { detail } = expectKind(event, "cloudwatch.alarm-state-change").event;
    expect(detail.configuration.metrics?.map((query) => query.expression)).toContain(
      "ANOMALY_DETECTION_BAND(m1, 0.8)",
    );
  });

  it("reads a composite alarm's rule, with no suppression when none applies", () => {
    const event = accepted(parseEvent(fixture("aws/cloudwatch/alarm-state-change-composite.json")));

    const { detail } = expectKind(event, "cloudwatch.alarm-state-change").event;
    expect(detail.configuration.alarmRule).toBe(
      "ALARM(ServerCpuTooHigh) OR ALARM(TotalNetworkTrafficTooHigh)",
    );
    expect(detail.state.actionsSuppressedBy).toBeUndefined();
  });

  it("carries actionsSuppressedBy and its reason for a muted composite alarm", () => {
    const event = accepted(
      parseEvent(fixture("aws/cloudwatch/alarm-state-change-composite-suppressed.json")),
    );

    const { detail } = expectKind(event, "cloudwatch.alarm-state-change").event;
    expect(detail.state).toMatchObject({
      value: "ALARM",
      actionsSuppressedBy: "WaitPeriod",
      actionsSuppressedReason: "Actions suppressed by WaitPeriod",
    });
    expect(detail.configuration.actionsSuppressor).toBe("ServiceMaintenanceAlarm");
  });

  it("rejects a state value CloudWatch does not have, listing the ones it has", () => {
    const event = withDetail("aws/cloudwatch/alarm-state-change-metric.json", (detail) => {
      (detail.state as Record<string, unknown>).value = "FIRING";
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe(
      'detail.state.value: expected one of "OK", "ALARM", "INSUFFICIENT_DATA", received "FIRING"',
    );
  });

  it("rejects a configuration that is neither a metric alarm's nor a composite alarm's", () => {
    const event = withDetail("aws/cloudwatch/alarm-state-change-metric.json", (detail) => {
      detail.configuration = { description: "no metrics, no rule" };
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe(
      "detail.configuration: expected metrics (a metric alarm) or alarmRule (a composite alarm)",
    );
  });
});

describe("parseEvent on Step Functions execution status changes", () => {
  it.each([
    ["running", "RUNNING"],
    ["succeeded", "SUCCEEDED"],
    ["failed", "FAILED"],
    ["timed-out", "TIMED_OUT"],
    ["aborted", "ABORTED"],
  ])("reads the %s execution's status and ARNs", (file, status) => {
    const event = accepted(parseEvent(fixture(`aws/states/execution-status-change-${file}.json`)));

    expect(expectKind(event, "states.execution-status-change").event.detail).toMatchObject({
      status,
      name: "execution-name",
      executionArn: "arn:aws:states:us-east-1:012345678912:execution:state-machine-name:execution-name",
      stateMachineArn: "arn:aws:states:us-east-1:012345678912:stateMachine:state-machine",
    });
  });

  it("keeps a running execution's missing stop date and output as null", () => {
    const event = accepted(parseEvent(fixture("aws/states/execution-status-change-running.json")));

    const { detail } = expectKind(event, "states.execution-status-change").event;
    expect(detail).toMatchObject({ startDate: 1551225271984, stopDate: null, input: "{}", output: null });
  });

  it("keeps a succeeded execution's output as the JSON text AWS sent", () => {
    const event = accepted(parseEvent(fixture("aws/states/execution-status-change-succeeded.json")));

    expect(expectKind(event, "states.execution-status-change").event.detail.output).toBe('"Hello World!"');
  });
});

describe("parseEvent on AWS Health events", () => {
  it("reads an account-specific issue with the state of each affected entity", () => {
    const event = accepted(
      parseEvent(fixture("aws/health/account-specific-ec2-instance-store-degraded.json")),
    );

    const { detail } = expectKind(event, "health").event;
    expect(detail).toMatchObject({
      service: "EC2",
      eventTypeCode: "AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED",
      eventTypeCategory: "issue",
      startTime: "Thu, 27 Jan 2023 13:19:03 GMT",
    });
    expect(detail.affectedEntities?.map((entity) => entity.status)).toEqual([
      "IMPAIRED",
      "IMPAIRED",
      "UNIMPAIRED",
      "RESOLVED",
    ]);
  });

  it("reads a public issue, which names no affected entities", () => {
    const event = accepted(parseEvent(fixture("aws/health/public-elb-operational-issue.json")));

    const { detail } = expectKind(event, "health").event;
    expect(detail.eventScopeCode).toBe("PUBLIC");
    expect(detail.endTime).toBe("Thu, 26 Jan 2023 13:44:13 GMT");
    expect(detail.affectedEntities).toBeUndefined();
  });

  it("reads an account notification with its affected entity", () => {
    const event = accepted(parseEvent(fixture("aws/health/ec2-odcr-underutilization.json")));

    const { detail } = expectKind(event, "health").event;
    expect(detail.eventTypeCategory).toBe("accountNotification");
    expect(detail.affectedEntities).toEqual([{ entityValue: "cr-01234567890abcdef" }]);
  });
});

describe("parseEvent on GitHub webhooks put on the bus", () => {
  it.each([
    ["deployment-created.json", "deployment", "deployment", { environment: "production", task: "deploy" }],
    ["release-published.json", "release", "release", { tag_name: "0.0.1", draft: false }],
    [
      "secret-scanning-alert-created.json",
      "secret_scanning_alert",
      "alert",
      { secret_type: "adafruit_io_key" },
    ],
    ["secret-scanning-alert-reopened.json", "secret_scanning_alert", "alert", { number: 191 }],
    [
      "workflow-run-completed.json",
      "workflow_run",
      "workflow_run",
      { status: "completed", conclusion: "success" },
    ],
    ["ping.json", "ping", "hook", { type: "Repository" }],
  ])("reads %s as the %s event", (file, githubEvent, field, expected) => {
    const event = accepted(parseEvent(fixture(`github/${file}`)));

    const github = expectKind(event, "github");
    expect(github.githubEvent).toBe(githubEvent);
    expect(github.event.detail[field]).toMatchObject(expected);
  });

  it("accepts a GitHub event it has no schema for as a plain object", () => {
    const event = { ...fixture("github/ping.json"), "detail-type": "star", detail: { action: "created" } };

    const github = expectKind(accepted(parseEvent(event)), "github");

    expect(github.githubEvent).toBe("star");
    expect(github.event.detail).toEqual({ action: "created" });
  });

  it("rejects a deployment without the commit it deploys", () => {
    const event = fixture("github/deployment-created.json");
    delete ((event.detail as Record<string, unknown>).deployment as Record<string, unknown>).sha;

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe("detail.deployment.sha: required field is missing (expected string)");
  });
});

describe("parseEvent and fields it does not use", () => {
  it("keeps detail fields AWS adds instead of rejecting them", () => {
    const event = withDetail("aws/ecr/image-push.json", (detail) => {
      detail["artifact-media-type"] = "application/vnd.docker.container.image.v1+json";
    });

    const { detail } = expectKind(accepted(parseEvent(event)), "ecr.image-action").event;

    expect(detail["artifact-media-type"]).toBe("application/vnd.docker.container.image.v1+json");
  });

  it("accepts an envelope field EventBridge adds, such as replay-name", () => {
    const event = { ...fixture("aws/ecr/image-push.json"), "replay-name": "replay_archive" };

    expect(parseEvent(event).ok).toBe(true);
  });

  it("does not let a __proto__ key give the parsed detail inherited fields", () => {
    const json = JSON.stringify(fixture("aws/ecr/image-push.json")).replace(
      '"detail":{',
      '"detail":{"__proto__":{"polluted":true},',
    );

    const { detail } = expectKind(accepted(parseEvent(JSON.parse(json))), "ecr.image-action").event;

    expect(Object.getPrototypeOf(detail)).toBe(Object.prototype);
    expect((detail as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseEvent on malformed events", () => {
  it("names a missing detail field and the type it expected", () => {
    const event = withDetail("aws/ecr/image-push.json", (detail) => {
      delete detail["image-digest"];
    });

    const rejection = rejected(parseEvent(event));

    expect(rejection.reason).toBe("detail.image-digest: required field is missing (expected string)");
  });

  it("names the event it rejects so the rejection can be traced", () => {
    const event = withDetail("aws/ecr/image-push.json", (detail) => {
      delete detail["image-digest"];
    });

    const rejection = rejected(parseEvent(event));

    expect(rejection).toMatchObject({
      id: "13cde686-328b-6117-af20-0e5566167482",
      source: "aws.ecr",
      detailType: "ECR Image Action",
    });
  });

  it("rejects an event whose detail was cut in half, naming each required field of the lost half", () => {
    const event = withDetail("aws/cloudwatch/alarm-state-change-metric.json", (detail) => {
      const keys = Object.keys(detail); // alarmName, configuration | previousState, state
      for (const key of keys.slice(keys.length / 2)) delete detail[key];
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe(
      "detail.state: required field is missing (expected object); " +
        "detail.previousState: required field is missing (expected object)",
    );
  });

  it("rejects a detail field of the wrong type, saying what it expected and received", () => {
    const event = withDetail("aws/ecr/image-push.json", (detail) => {
      detail["image-digest"] = 42;
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe("detail.image-digest: expected string, received number");
  });

  it("lists every problem, separated by semicolons", () => {
    const event = withDetail("aws/states/execution-status-change-failed.json", (detail) => {
      detail.status = "CRASHED";
      detail.startDate = "yesterday";
    });

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe(
      'detail.status: expected one of "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE", received "CRASHED"; ' +
        "detail.startDate: expected number, received string",
    );
  });

  it("rejects an event without a detail", () => {
    const event = fixture("aws/health/public-elb-operational-issue.json");
    delete event.detail;

    const { reason } = rejected(parseEvent(event));

    expect(reason).toBe("detail: required field is missing (expected a value)");
  });

  it("rejects an envelope without a source, naming the field", () => {
    const event = fixture("aws/ecr/image-push.json");
    delete event.source;

    const rejection = rejected(parseEvent(event));

    expect(rejection.reason).toBe("source: required field is missing (expected string)");
    expect(rejection.unsupported).toBeUndefined();
  });
});

describe("parseEvent on events too large for EventBridge", () => {
  function paddedTo(bytes: number, filler = "x"): Record<string, unknown> {
    const event = withDetail("aws/ecr/image-push.json", (detail) => {
      detail.padding = "";
    });
    const base = Buffer.byteLength(JSON.stringify(event), "utf8");
    const fillerBytes = Buffer.byteLength(filler, "utf8");
    (event.detail as Record<string, unknown>).padding = filler.repeat(
      Math.floor((bytes - base) / fillerBytes),
    );
    return event;
  }

  it("accepts an event of exactly the limit", () => {
    const event = paddedTo(MAX_EVENT_BYTES);

    expect(Buffer.byteLength(JSON.stringify(event), "utf8")).toBe(MAX_EVENT_BYTES);
    expect(parseEvent(event).ok).toBe(true);
  });

  it("rejects an event one byte over the limit, giving its size and the limit", () => {
    const event = paddedTo(MAX_EVENT_BYTES + 1);

    const rejection = rejected(parseEvent(event));

    expect(rejection.reason).toBe("event is 262145 bytes, over EventBridge's limit of 262144 bytes");
    expect(rejection.id).toBe("13cde686-328b-6117-af20-0e5566167482");
  });

  it("measures UTF-8 bytes, not characters", () => {
    // 2-byte characters: well under the limit in characters, over it in bytes.
    const event = paddedTo(MAX_EVENT_BYTES + 2, "é");

    expect(JSON.stringify(event).length).toBeLessThan(MAX_EVENT_BYTES);
    expect(rejected(parseEvent(event)).reason).toMatch(/^event is 26214\d bytes, over/);
  });
});

describe("parseEvent on input that is not an event object", () => {
  it.each([
    ["a JSON string, which it does not parse", JSON.stringify({ id: "1" }), "string"],
    ["truncated JSON text", '{"version":"0","id":"13cde686-328b', "string"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    ["an array", [{ id: "1" }], "array"],
    ["a number", 42, "number"],
    ["a boolean", true, "boolean"],
  ])("rejects %s", (_label, raw, kind) => {
    expect(parseEvent(raw)).toEqual({ ok: false, reason: `event must be a JSON object, got ${kind}` });
  });

  it("rejects an object that cannot be serialised as JSON instead of throwing", () => {
    expect(parseEvent({ id: 1n })).toEqual({
      ok: false,
      reason: "event is not JSON-serialisable: Do not know how to serialize a BigInt",
    });
  });

  it("rejects an object whose getters throw instead of throwing", () => {
    const hostile = Object.defineProperty({}, "id", {
      enumerable: true,
      get() {
        throw new Error("no id for you");
      },
    });

    expect(rejected(parseEvent(hostile)).reason).toBe("event is not JSON-serialisable: no id for you");
  });
});

describe("parseEvent on sources it has no parser for", () => {
  it("marks a well-formed event from an unknown source as unsupported, naming source and detail-type", () => {
    const event = {
      ...fixture("aws/ecr/image-push.json"),
      source: "aws.codecommit",
      "detail-type": "CodeCommit Repository State Change",
    };

    expect(parseEvent(event)).toEqual({
      ok: false,
      unsupported: true,
      reason: 'no parser for source "aws.codecommit" with detail-type "CodeCommit Repository State Change"',
      id: "13cde686-328b-6117-af20-0e5566167482",
      source: "aws.codecommit",
      detailType: "CodeCommit Repository State Change",
    });
  });

  it("keeps the identifiers it echoes short, however long the event's are", () => {
    const event = { ...fixture("aws/ecr/image-push.json"), source: "s".repeat(100_000) };

    const rejection = rejected(parseEvent(event));

    expect(rejection.source).toBe(`${"s".repeat(256)}…`);
    expect(rejection.reason.length).toBeLessThan(400);
  });

  it("finds no parser for a source named like an Object.prototype member", () => {
    const event = { ...fixture("aws/ecr/image-push.json"), source: "constructor", "detail-type": "toString" };

    expect(rejected(parseEvent(event)).unsupported).toBe(true);
  });
});
