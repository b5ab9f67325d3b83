import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EventPattern, matchesPattern, validatePattern } from "./pattern.ts";

// Patterns are the examples of the EventBridge user guide. Full events are AWS-documented samples (each cited
// where it is declared). Events of the form `{ detail: { state: "pending" } }` are invented: they carry only
// the one field an example is about, because the guide shows the pattern but not a whole event for it.

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
const ec2Terminated = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
const autoscalingLaunch = {
  version: "0",
  id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful",
  source: "aws.autoscaling",
  account: "123456789012",
  time: "2015-11-11T21:31:47Z",
  region: "us-east-1",
  resources: [],
  detail: { eventVersion: "", responseElements: null },
};

// The sample event of the rule engine EventBridge runs: https://github.com/aws/event-ruler#ruler-by-example
const rulerSample = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
  },
};

// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
// ("State change for a single-metric alarm"), kept verbatim among the test fixtures.
const alarmStateChange = JSON.parse(
  readFileSync(
    new URL("../../../../test/fixtures/aws/cloudwatch/alarm-state-change-metric.json", import.meta.url),
    "utf8",
  ),
);

// https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html ("Event for a completed image push")
const ecrImagePush = {
  version: "0",
  id: "13cde686-328b-6117-af20-0e5566167482",
  "detail-type": "ECR Image Action",
  source: "aws.ecr",
  account: "123456789012",
  time: "2019-11-16T01:54:34Z",
  region: "us-west-2",
  resources: [],
  detail: {
    result: "SUCCESS",
    "repository-name": "my-repository-name",
    "image-digest": "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
    "action-type": "PUSH",
    "image-tag": "latest",
  },
};

describe("matching on field values", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
  const ec2Termination: EventPattern = {
    source: ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    detail: { state: ["terminated"] },
  };

  it("matches an event whose fields equal the pattern's, ignoring fields the pattern does not name", () => {
    expect(matchesPattern(ec2Termination, ec2Terminated)).toBe(true);
  });

  it("does not match when one named field has another value", () => {
    const running = { ...ec2Terminated, detail: { ...ec2Terminated.detail, state: "running" } };

    expect(matchesPattern(ec2Termination, running)).toBe(false);
  });

  it("matches when the event value equals any of the leaf's alternatives", () => {
    expect(matchesPattern({ source: ["aws.ec2", "aws.fargate"] }, { source: "aws.fargate" })).toBe(true);
  });

  it("does not match when a field the pattern names is absent from the event", () => {
    expect(matchesPattern(ec2Termination, { ...ec2Terminated, detail: { "instance-id": "i-1" } })).toBe(
      false,
    );
  });

  it("compares strings exactly, without case folding", () => {
    expect(matchesPattern({ detail: { state: ["Terminated"] } }, ec2Terminated)).toBe(false);
  });

  it("compares numbers by value, so 300 matches 300.0 and 3.0e2", () => {
    // The guide says 300, 300.0 and 3.0e2 are not equal, but AWS's TestEventPattern and event-ruler (which adds a
    // numeric-equality matcher for every number in a pattern) match them; JSON.parse cannot tell them apart anyway.
    const events = ['{"price": 300.0}', '{"price": 3.0e2}'].map((text) => JSON.parse(text));

    expect(events.map((event) => matchesPattern({ price: [300] }, event))).toEqual([true, true]);
  });

  it('does not coerce types: the string "300" does not match the number 300, nor "false" the boolean', () => {
    const pattern: EventPattern = { price: [300], flag: [false] };

    expect(matchesPattern(pattern, { price: "300", flag: false })).toBe(false);
    expect(matchesPattern(pattern, { price: 300, flag: "false" })).toBe(false);
    expect(matchesPattern(pattern, { price: 300, flag: false })).toBe(true);
  });
});

describe("arrays in events", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
  const pattern: EventPattern = {
    resources: [
      "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
      "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
    ],
  };
  const asgResource =
    "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate";

  it("matches when the event array and the pattern array share a value", () => {
    const event = { resources: [asgResource, "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] };

    expect(matchesPattern(pattern, event)).toBe(true);
  });

  it("does not match when the event array shares no value with the pattern array", () => {
    expect(matchesPattern(pattern, { resources: [asgResource] })).toBe(false);
  });

  // https://github.com/aws/event-ruler#json-array-matching (the engine behind EventBridge)
  const employees = {
    employees: [
      { firstName: "John", lastName: "Doe" },
      { firstName: "Anna", lastName: "Smith" },
      { firstName: "Peter", lastName: "Jones" },
    ],
  };

  it("matches a nested pattern against each object of an event array", () => {
    expect(matchesPattern({ employees: { firstName: ["Anna"] } }, employees)).toBe(true);
  });

  it("does not combine fields from different objects of the same array", () => {
    const annaJones: EventPattern = { employees: { firstName: ["Anna"], lastName: ["Jones"] } };

    expect(matchesPattern(annaJones, employees)).toBe(false);
  });
});

describe("null values and empty strings", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
  it('matches an empty string with [""]', () => {
    expect(matchesPattern({ detail: { eventVersion: [""] } }, autoscalingLaunch)).toBe(true);
  });

  it("matches a null value with [null]", () => {
    expect(matchesPattern({ detail: { responseElements: [null] } }, autoscalingLaunch)).toBe(true);
  });

  it("does not treat null and the empty string as interchangeable", () => {
    expect(matchesPattern({ detail: { responseElements: [""] } }, autoscalingLaunch)).toBe(false);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, autoscalingLaunch)).toBe(false);
  });

  it("does not match [null] against an absent field or an empty array", () => {
    expect(matchesPattern({ detail: { userAgent: [null] } }, autoscalingLaunch)).toBe(false);
    expect(matchesPattern({ resources: [null] }, autoscalingLaunch)).toBe(false);
  });
});

describe("prefix matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-prefix-matching
  it("matches a string that starts with the prefix", () => {
    expect(matchesPattern({ time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-02T18:43:48Z" })).toBe(true);
  });

  it("does not match a string that starts otherwise, nor a value that is not a string", () => {
    expect(matchesPattern({ time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-03T18:43:48Z" })).toBe(
      false,
    );
    expect(matchesPattern({ code: [{ prefix: "20" }] }, { code: 2017 })).toBe(false);
  });

  it("ignores case with { prefix: { equals-ignore-case } }", () => {
    const pattern: EventPattern = { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } };

    expect(matchesPattern(pattern, { detail: { service: "EVENTBRIDGE" } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { service: "Lambda" } })).toBe(false);
  });
});

describe("suffix matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ("Ends with", "Ends with (ignore case)")
  it("matches a string that ends with the suffix, case-sensitively", () => {
    const pattern: EventPattern = { FileName: [{ suffix: ".png" }] };

    expect(matchesPattern(pattern, { FileName: "image.png" })).toBe(true);
    expect(matchesPattern(pattern, { FileName: "image.PNG" })).toBe(false);
  });

  it("ignores case with { suffix: { equals-ignore-case } }", () => {
    const pattern: EventPattern = { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } };

    expect(matchesPattern(pattern, { detail: { FileName: "image.PNG" } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { FileName: "image.jpg" } })).toBe(false);
  });
});

describe("equals-ignore-case matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ("Equals (ignore case)")
  it("matches the same string in any casing, and nothing else", () => {
    const pattern: EventPattern = { Name: [{ "equals-ignore-case": "alice" }] };

    expect(matchesPattern(pattern, { Name: "ALICE" })).toBe(true);
    expect(matchesPattern(pattern, { Name: "Alicia" })).toBe(false);
  });

  it("ignores the casing of the pattern's value too", () => {
    // https://github.com/aws/event-ruler#equals-ignore-case-matching
    expect(matchesPattern({ source: [{ "equals-ignore-case": "EC2" }] }, { source: "ec2" })).toBe(true);
  });
});

describe("anything-but matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-anything-but (and -prefix, -suffix, -ignore-case, -wildcard)
  const state = (value: unknown) => ({ detail: { state: value } });
  const xLimit = (value: unknown) => ({ detail: { "x-limit": value } });

  it("excludes a single string", () => {
    const pattern: EventPattern = { detail: { state: [{ "anything-but": "initializing" }] } };

    expect(matchesPattern(pattern, state("pending"))).toBe(true);
    expect(matchesPattern(pattern, state("initializing"))).toBe(false);
  });

  it("excludes a single number", () => {
    const pattern: EventPattern = { detail: { "x-limit": [{ "anything-but": 123 }] } };

    expect(matchesPattern(pattern, xLimit(789))).toBe(true);
    expect(matchesPattern(pattern, xLimit(123))).toBe(false);
  });

  it("excludes a list of strings", () => {
    const pattern: EventPattern = { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } };

    expect(matchesPattern(pattern, state("pending"))).toBe(true);
    expect(matchesPattern(pattern, state("overloaded"))).toBe(false);
  });

  it("excludes a list of numbers", () => {
    const pattern: EventPattern = { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } };

    expect(matchesPattern(pattern, xLimit(999))).toBe(true);
    expect(matchesPattern(pattern, xLimit(300))).toBe(false);
  });

  it("matches a null value but never an absent field", () => {
    // AWS TestEventPattern results, recorded by LocalStack's parity suite (content_anything_but_string_*).
    const pattern: EventPattern = { detail: { state: [{ "anything-but": "initializing" }] } };

    expect(matchesPattern(pattern, state(null))).toBe(true);
    expect(matchesPattern(pattern, { detail: {} })).toBe(false);
  });

  it("excludes a prefix, letting values that are not strings through", () => {
    const pattern: EventPattern = { detail: { state: [{ "anything-but": { prefix: "init" } }] } };

    expect(matchesPattern(pattern, state("running"))).toBe(true);
    expect(matchesPattern(pattern, state(12))).toBe(true);
    expect(matchesPattern(pattern, state("initializing"))).toBe(false);
  });

  it("excludes a suffix", () => {
    const pattern: EventPattern = { FileName: [{ "anything-but": { suffix: ".png" } }] };

    expect(matchesPattern(pattern, { FileName: "notes.txt" })).toBe(true);
    expect(matchesPattern(pattern, { FileName: "image.png" })).toBe(false);
  });

  it("excludes a value in any casing", () => {
    const pattern: EventPattern = {
      detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
    };

    expect(matchesPattern(pattern, state("pending"))).toBe(true);
    expect(matchesPattern(pattern, state("INITIALIZING"))).toBe(false);
  });

  it("excludes a list of values whatever the casing of either side", () => {
    // https://github.com/aws/event-ruler#anything-but-matching ("Anything-but-ignore-case list")
    const pattern: EventPattern = {
      detail: { state: [{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }] },
    };

    expect(matchesPattern(pattern, state("pending"))).toBe(true);
    expect(matchesPattern(pattern, state("overloaded"))).toBe(false);
  });

  it("excludes a wildcard", () => {
    const pattern: EventPattern = { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] };

    expect(matchesPattern(pattern, { FilePath: "/usr/bin/node" })).toBe(true);
    expect(matchesPattern(pattern, { FilePath: "/usr/lib/node" })).toBe(false);
  });
});

describe("numeric matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#filtering-numeric-matching
  const counts: EventPattern = {
    detail: {
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ numeric: ["=", 3.018e2] }],
    },
  };

  it("matches when every numeric condition holds", () => {
    expect(matchesPattern(counts, rulerSample)).toBe(true);
  });

  it("does not match when one value is out of its range", () => {
    expect(matchesPattern(counts, { detail: { ...rulerSample.detail, "c-count": 42 } })).toBe(false);
  });

  it.each([
    [0, false],
    [0.000001, true],
    [5, true],
    [5.000001, false],
  ])('treats the bounds of [">", 0, "<=", 5] as open below and closed above (%d → %s)', (value, expected) => {
    expect(matchesPattern({ "c-count": [{ numeric: [">", 0, "<=", 5] }] }, { "c-count": value })).toBe(
      expected,
    );
  });

  it("matches only JSON numbers, not numeric strings or null", () => {
    const pattern: EventPattern = { Price: [{ numeric: [">", 10, "<=", 20] }] };

    expect(matchesPattern(pattern, { Price: 15 })).toBe(true);
    expect(matchesPattern(pattern, { Price: "15" })).toBe(false);
    expect(matchesPattern(pattern, { Price: null })).toBe(false);
  });
});

describe("IP address matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-ip-matching
  const ipv4: EventPattern = { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } };
  const source = (value: unknown) => ({ detail: { sourceIPAddress: value } });

  it("matches an IPv4 address inside the block", () => {
    expect(matchesPattern(ipv4, source("10.0.0.255"))).toBe(true);
  });

  it("does not match an address outside the block, a malformed address, or a number", () => {
    expect(matchesPattern(ipv4, source("10.0.1.1"))).toBe(false);
    expect(matchesPattern(ipv4, source("10.0.0.256"))).toBe(false);
    expect(matchesPattern(ipv4, source(167772161))).toBe(false);
  });

  it("matches IPv6 addresses, in any textual form", () => {
    // Block and addresses from LocalStack's AWS-verified parity cases (content_ip_address_v6*).
    const ipv6: EventPattern = { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } };

    expect(matchesPattern(ipv6, source("2001:0db8:1234:1a00:0000:0000:0000:0000"))).toBe(true);
    expect(matchesPattern(ipv6, source("2001:db8:1234:1a00::9"))).toBe(true);
    expect(matchesPattern(ipv6, source("2001:0db8:123f:1a01:0000:0000:0000:0000"))).toBe(false);
  });
});

describe("exists matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-exists-matching
  const noCCount: EventPattern = { detail: { "c-count": [{ exists: false }] } };

  it("exists: false matches an event without the field", () => {
    const event = {
      "detail-type": ["EC2 Instance State-change Notification"],
      resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
      detail: { state: ["initializing", "running"] },
    };

    expect(matchesPattern(noCCount, event)).toBe(true);
  });

  it("exists: false also matches when the field is an object, because only leaves exist", () => {
    const event = { detail: { state: ["initializing", "running"], "c-count": { c1: 100 } } };

    expect(matchesPattern(noCCount, event)).toBe(true);
  });

  it("exists: false does not match when the field has a value", () => {
    expect(matchesPattern(noCCount, { detail: { "c-count": 5 } })).toBe(false);
  });

  it("exists: false matches when a whole branch of the path is missing", () => {
    expect(matchesPattern({ detail: { level1: { level2: [{ exists: false }] } } }, { detail: {} })).toBe(
      true,
    );
  });

  it("exists: true matches any present leaf value, null included", () => {
    const pattern: EventPattern = { ProductName: [{ exists: true }] };

    expect(matchesPattern(pattern, { ProductName: "Widget" })).toBe(true);
    expect(matchesPattern(pattern, { ProductName: null })).toBe(true);
  });

  it("exists: true matches when one object of an event array has the field", () => {
    // AWS TestEventPattern result, recorded by LocalStack's parity suite (list_within_dict).
    const pattern: EventPattern = { detail: { automations: { id: [{ exists: true }] } } };
    const event = {
      detail: { automations: [{ key1: "value1" }, { id: "match-does-exist" }, { key2: "value2" }] },
    };

    expect(matchesPattern(pattern, event)).toBe(true);
  });

  it("exists: false on an array of objects fails if any object has the field (event-ruler)", () => {
    // event-ruler NameState.getNameTransitions: a field counts as present unless it conflicts with the
    // array elements the rule matched before it.
    const pattern: EventPattern = { automations: { id: [{ exists: false }] } };

    expect(matchesPattern(pattern, { automations: [{ id: "a" }, { key: "b" }] })).toBe(false);
    expect(matchesPattern(pattern, { automations: [{ id: "a" }, { id: "b" }] })).toBe(false);
    expect(matchesPattern(pattern, { automations: [{ key: "a" }, { key: "b" }] })).toBe(true);
  });

  it("exists: false looks only at the array element fields matched before it (in name order) chose", () => {
    // event-ruler RulerTest.WHEN_JSONContainsArrays_THEN_RulerNoCompileMatchesWork
    const pattern: EventPattern = { employees: { firstName: ["Anna"], ids: [{ exists: false }] } };
    const event = {
      employees: [
        [{ firstName: "John", ids: [1234, 1000] }, { firstName: "Anna" }],
        [{ firstName: "Peter", ids: [] }],
      ],
    };

    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ["John"], ids: [{ exists: false }] } }, event)).toBe(
      false,
    );
  });

  it("exists: true does not match an absent field, an empty array or an object", () => {
    const pattern: EventPattern = { resources: [{ exists: true }] };

    expect(matchesPattern(pattern, {})).toBe(false);
    expect(matchesPattern(pattern, { resources: [] })).toBe(false);
    expect(matchesPattern(pattern, { resources: { arn: "arn:aws:s3:::bucket" } })).toBe(false);
  });
});

describe("wildcard matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ("Wildcard")
  it("matches * against any run of characters", () => {
    const pattern: EventPattern = { FileName: [{ wildcard: "dir/*.png" }] };

    expect(matchesPattern(pattern, { FileName: "dir/screenshots/image.png" })).toBe(true);
    expect(matchesPattern(pattern, { FileName: "dir/.png" })).toBe(true);
  });

  it("does not match when a literal part is missing or out of place", () => {
    const pattern: EventPattern = { FileName: [{ wildcard: "dir/*.png" }] };

    expect(matchesPattern(pattern, { FileName: "dir/image.jpg" })).toBe(false);
    expect(matchesPattern(pattern, { FileName: "other/dir/image.png" })).toBe(false);
  });

  it("matches several wildcards in one value", () => {
    const pattern: EventPattern = { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] };

    expect(
      matchesPattern(pattern, { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus" }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { EventBusArn: "arn:aws:events:eu-west-1:123456789012:event-bus/myEventBus" }),
    ).toBe(false);
  });

  it("backtracks over repeated literal sequences", () => {
    const pattern: EventPattern = { FileName: [{ wildcard: "/Users/*/dir/dir/dir/dir/dir/doc.txt" }] };

    expect(matchesPattern(pattern, { FileName: "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt" })).toBe(true);
    expect(matchesPattern(pattern, { FileName: "/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt" })).toBe(
      false,
    );
  });

  it("does not let a later literal part reuse characters of an earlier one", () => {
    const pattern: EventPattern = { Key: [{ wildcard: "*ab*b" }] };

    expect(matchesPattern(pattern, { Key: "xab" })).toBe(false);
    expect(matchesPattern(pattern, { Key: "xabb" })).toBe(true);
  });

  it("treats \\* as a literal asterisk", () => {
    const pattern: EventPattern = { Expression: [{ wildcard: "rate\\*2" }] };

    expect(matchesPattern(pattern, { Expression: "rate*2" })).toBe(true);
    expect(matchesPattern(pattern, { Expression: "rate-times-2" })).toBe(false);
  });
});

describe("$or matching", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example-or
  const anyCount: EventPattern = {
    detail: {
      $or: [
        { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
        { "d-count": [{ numeric: ["<", 10] }] },
        { "x-limit": [{ numeric: ["=", 3.018e2] }] },
      ],
    },
  };

  it("matches when any alternative matches", () => {
    expect(matchesPattern(anyCount, { detail: { "c-count": 0, "d-count": 0, "x-limit": 901.8 } })).toBe(true);
  });

  it("does not match when no alternative matches", () => {
    expect(matchesPattern(anyCount, { detail: { "c-count": 0, "d-count": 10, "x-limit": 901.8 } })).toBe(
      false,
    );
  });

  it("combines $or with the other fields of its object by AND", () => {
    const pattern: EventPattern = {
      source: ["aws.cloudwatch"],
      $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
    };

    expect(matchesPattern(pattern, { source: "aws.cloudwatch", namespace: "AWS/EC2" })).toBe(true);
    expect(matchesPattern(pattern, { source: "aws.ec2", namespace: "AWS/EC2" })).toBe(false);
  });

  it("nests $or inside an alternative", () => {
    // https://github.com/aws/event-ruler#rule-examples-with-or-primitive ("Nested Or and And")
    const pattern: EventPattern = {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization", "ReadLatency"] },
        {
          metricType: ["MetricType"],
          namespace: ["AWS/EC2", "AWS/ES"],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ["Service"] },
      ],
    };
    const base = { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES" };

    expect(matchesPattern(pattern, { ...base, spaceId: 1000 })).toBe(true);
    expect(matchesPattern(pattern, { ...base, spaceId: 2000 })).toBe(false);
  });
});

describe("combining matchers", () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-complex-example
  const complex: EventPattern = {
    time: [{ prefix: "2017-10-02" }],
    detail: {
      state: [{ "anything-but": "initializing" }],
      "c-count": [{ numeric: [">", 0, "<=", 5] }],
      "d-count": [{ numeric: ["<", 10] }],
      "x-limit": [{ "anything-but": [100, 200, 300] }],
    },
  };

  it("matches when every field's matcher holds", () => {
    expect(matchesPattern(complex, rulerSample)).toBe(true);
  });

  it("does not match when a single field's matcher fails", () => {
    expect(
      matchesPattern(complex, { ...rulerSample, detail: { ...rulerSample.detail, "x-limit": 300 } }),
    ).toBe(false);
  });
});

describe("the rules Switchyard relies on, against documented AWS events", () => {
  const alarmFired: EventPattern = {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    detail: { state: { value: ["ALARM"] } },
  };

  it("matches a CloudWatch alarm that went into ALARM", () => {
    expect(matchesPattern(alarmFired, alarmStateChange)).toBe(true);
  });

  it("does not match the same alarm when the rule waits for OK (OK was only its previous state)", () => {
    const recovered: EventPattern = { ...alarmFired, detail: { state: { value: ["OK"] } } };

    expect(matchesPattern(recovered, alarmStateChange)).toBe(false);
  });

  it("matches on a field inside the alarm's array of metrics", () => {
    const ec2Alarm: EventPattern = {
      source: ["aws.cloudwatch"],
      detail: { configuration: { metrics: { metricStat: { metric: { namespace: ["AWS/EC2"] } } } } },
    };

    expect(matchesPattern(ec2Alarm, alarmStateChange)).toBe(true);
  });

  const successfulPush: EventPattern = {
    source: ["aws.ecr"],
    "detail-type": ["ECR Image Action"],
    detail: { "action-type": ["PUSH"], result: ["SUCCESS"], "repository-name": ["my-repository-name"] },
  };

  it("matches a successful ECR image push to the watched repository", () => {
    expect(matchesPattern(successfulPush, ecrImagePush)).toBe(true);
  });

  it("does not match the push when the rule wants release tags only", () => {
    const releaseTags: EventPattern = { ...successfulPush, detail: { "image-tag": [{ prefix: "v" }] } };

    expect(matchesPattern(releaseTags, ecrImagePush)).toBe(false);
  });
});

describe("validatePattern", () => {
  it.each([
    ["the alarm rule", { source: ["aws.cloudwatch"], detail: { state: { value: ["ALARM"] } } }],
    ["null and empty-string leaves", { detail: { eventVersion: [""], responseElements: [null] } }],
    ["prefix with equals-ignore-case", { service: [{ prefix: { "equals-ignore-case": "eventb" } }] }],
    [
      "anything-but with a wildcard list",
      { FilePath: [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }] },
    ],
    ["a numeric range", { Price: [{ numeric: [">=", 10, "<", 20] }] }],
    ["an IPv6 block", { ip: [{ cidr: "2001:db8::/32" }] }],
    ["$or", { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] }],
  ])("accepts %s", (_name, pattern) => {
    expect(validatePattern(pattern)).toEqual([]);
  });

  it("names the path of a leaf that is not an array and shows the fix", () => {
    expect(validatePattern({ detail: { state: { value: "ALARM" } } })).toEqual([
      'detail.state.value: a pattern leaf must be an array of values or matchers, got "ALARM"; wrap it in an array: ["ALARM"]',
    ]);
  });

  it("rejects an unknown matcher name, pointing out that names are case-sensitive", () => {
    expect(validatePattern({ detail: { equal: [{ NUMERIC: ["=", 5] }] } })).toEqual([
      'detail.equal[0].NUMERIC: unknown matcher "NUMERIC"; matcher names are case-sensitive: use "numeric"',
    ]);
  });

  it("rejects a numeric matcher with an unknown operator", () => {
    expect(validatePattern({ price: [{ numeric: ["=>", 5] }] })).toEqual([
      'price[0].numeric[0]: unknown numeric operator "=>"; use one of "=", ">", ">=", "<", "<="',
    ]);
  });

  it("rejects a numeric range that does not go from a lower to an upper bound", () => {
    expect(validatePattern({ "c-count": [{ numeric: [">", 0, ">", 0] }] })).toEqual([
      'c-count[0].numeric[2]: a range needs a lower bound (">" or ">=") first and an upper bound ("<" or "<=") second, got ">"; e.g. [">", 0, "<=", 5]',
    ]);
  });

  it("rejects an empty leaf array and says what to write instead", () => {
    expect(validatePattern({ resources: [] })).toEqual([
      'resources: a pattern leaf must list at least one value or matcher (EventBridge rejects empty arrays); add a value, or use [{ "exists": false }] to require that the field is absent',
    ]);
  });

  it.each([
    [
      "a string",
      '{"source":["aws.ecr"]}',
      'got "{\\"source\\":[\\"aws.ecr\\"]}"; if this is JSON text, JSON.parse it first',
    ],
    ["an array", [{ source: ["aws.ecr"] }], "got an array of 1 item(s)"],
    ["null", null, "got null"],
  ])("rejects a pattern that is %s", (_name, pattern, detail) => {
    const [error, ...others] = validatePattern(pattern);

    expect(others).toEqual([]);
    expect(error).toMatch(/^\(pattern\): an event pattern must be a JSON object of fields, /);
    expect(error).toContain(detail);
  });

  it("reports every problem, one line each", () => {
    const errors = validatePattern({ source: "aws.ecr", detail: { "image-tag": [{ prefix: 1 }] } });

    expect(errors).toEqual([
      'source: a pattern leaf must be an array of values or matchers, got "aws.ecr"; wrap it in an array: ["aws.ecr"]',
      'detail.image-tag[0].prefix: prefix takes a string or { "equals-ignore-case": string }, got 1; for several prefixes, list several matchers: [{ "prefix": "a" }, { "prefix": "b" }]',
    ]);
  });

  it("recognises a matcher written without its array and shows where it belongs", () => {
    expect(validatePattern({ detail: { state: { prefix: "init" } } })).toEqual([
      'detail.state.prefix: a pattern leaf must be an array of values or matchers, got "init"; matchers belong inside a leaf array: "state": [{ "prefix": "init" }]',
    ]);
  });

  // Each of these is rejected by AWS too (LocalStack's parity suite records AWS's answers for most of them).
  it.each([
    [
      "suffix given a list",
      { FileName: [{ suffix: [".png"] }] },
      "FileName[0].suffix: suffix takes a string",
    ],
    [
      "equals-ignore-case given a list",
      { n: [{ "equals-ignore-case": ["a"] }] },
      "n[0].equals-ignore-case: ",
    ],
    [
      "consecutive wildcards",
      { arn: [{ wildcard: "arn:aws:events:us-east-1:**:event-bus/*" }] },
      "consecutive wildcard",
    ],
    ["an invalid wildcard escape", { path: [{ wildcard: "C:\\dir\\*" }] }, "invalid escape at position 2"],
    ["anything-but null", { state: [{ "anything-but": null }] }, "state[0].anything-but: anything-but takes"],
    [
      "anything-but with a mixed list",
      { state: [{ "anything-but": ["stopped", 1] }] },
      "only strings or only numbers",
    ],
    [
      "anything-but an empty prefix",
      { f: [{ "anything-but": { prefix: "" } }] },
      "an empty prefix would exclude",
    ],
    [
      "anything-but a case-insensitive prefix",
      { f: [{ "anything-but": { prefix: { "equals-ignore-case": "file" } } }] },
      "f[0].anything-but.prefix: anything-but prefix takes a string or a non-empty list of strings",
    ],
    ["a CIDR without mask bits", { ip: [{ cidr: "bad-filter" }] }, 'cidr takes "address/bits"'],
    [
      "a CIDR with a bad address",
      { ip: [{ cidr: "xx.11.xx/8" }] },
      '"xx.11.xx" is not an IPv4 or IPv6 address',
    ],
    ["a single-address CIDR", { ip: [{ cidr: "10.0.0.1/32" }] }, 'list it as an exact value: ["10.0.0.1"]'],
    [
      "an empty numeric range",
      { n: [{ numeric: [">", 5, "<", 5] }] },
      "lower bound 5 must be less than its upper bound 5",
    ],
    ["a numeric matcher that is not an array", { n: [{ numeric: 10 }] }, "n[0].numeric: numeric takes"],
    ["exists with a string", { n: [{ exists: "yes" }] }, 'exists takes true or false, got "yes"'],
    [
      "a matcher with two keys",
      { n: [{ prefix: "a", suffix: "b" }] },
      'exactly one key, got "prefix", "suffix"',
    ],
    [
      "$or with one alternative",
      { $or: [{ a: ["1"] }] },
      "$or: $or must be an array of at least two sub-patterns",
    ],
    [
      "a nested array in a leaf",
      { a: [["1"]] },
      "a[0]: a leaf value must be a JSON scalar or a matcher, got an array",
    ],
    ["an empty nested object", { detail: {} }, "detail: an empty object constrains nothing"],
  ])("rejects %s", (_name, pattern, expected) => {
    const errors = validatePattern(pattern);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(expected);
  });
});

describe("event-ruler semantics beyond the guide", () => {
  it("reads a dotted pattern key as a path, and a dotted event key as one too", () => {
    expect(matchesPattern({ "detail.state": ["running"] }, { detail: { state: "running" } })).toBe(true);
    expect(matchesPattern({ detail: { state: ["running"] } }, { "detail.state": "running" })).toBe(true);
  });

  it("lets a field repeated inside $or replace the parent's condition for that branch", () => {
    const pattern: EventPattern = {
      name: ["a", "b"],
      $or: [{ name: [{ "anything-but": "a" }] }, { condition: ["x"] }],
    };

    expect(matchesPattern(pattern, { name: "c" })).toBe(true);
    expect(matchesPattern(pattern, { name: "a" })).toBe(false);
    expect(matchesPattern(pattern, { name: "a", condition: "x" })).toBe(true);
  });

  it("folds only the pattern's characters when ignoring case, each to its own lower and upper form", () => {
    expect(matchesPattern({ street: [{ "equals-ignore-case": "straße" }] }, { street: "STRASSE" })).toBe(
      true,
    );
    expect(matchesPattern({ street: [{ "equals-ignore-case": "STRASSE" }] }, { street: "straße" })).toBe(
      false,
    );
    expect(matchesPattern({ s: [{ prefix: { "equals-ignore-case": "ß" } }] }, { s: "SSe" })).toBe(true);
    expect(matchesPattern({ s: [{ suffix: { "equals-ignore-case": "ß" } }] }, { s: "eSS" })).toBe(true);
    expect(
      matchesPattern({ s: [{ "anything-but": { "equals-ignore-case": "straße" } }] }, { s: "STRASSE" }),
    ).toBe(false);
  });

  it("reads cidr addresses as event-ruler does", () => {
    const pattern: EventPattern = { ip: [{ cidr: "10.0.0.0/24" }] };

    expect(matchesPattern(pattern, { ip: "::ffff:a00:1" })).toBe(true);
    expect(matchesPattern(pattern, { ip: "::ffff:10.0.0.1" })).toBe(false);
    expect(matchesPattern(pattern, { ip: "010.000.000.001" })).toBe(true);
    expect(matchesPattern({ ip: [{ cidr: "2001:db8::/32" }] }, { ip: "2001:db8::1%eth0" })).toBe(false);
    expect(validatePattern({ ip: [{ cidr: "::ffff:10.0.0.0/120" }] })).toHaveLength(1);
  });

  it("rejects matcher names as field names inside $or", () => {
    const errors = validatePattern({ $or: [{ numeric: [">", 1] }, { b: [2] }] });

    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$or[0].numeric: "numeric" is a matcher name');
  });

  it("rejects $or alternatives that multiply out to more than 1,000 combinations", () => {
    const pattern = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`k${i}`, { $or: [{ a: [1] }, { b: [2] }] }]),
    );

    expect(validatePattern(pattern)).toEqual([expect.stringContaining("1024 combinations")]);
    expect(validatePattern(Object.fromEntries(Object.entries(pattern).slice(0, 9)))).toEqual([]);
  });
});

describe("robustness", () => {
  const everyMatcher: EventPattern = {
    source: ["aws.ecr", { prefix: "aws." }, { suffix: ".ecr" }, { "equals-ignore-case": "AWS.ECR" }],
    detail: {
      tag: [{ wildcard: "v*.*" }, { "anything-but": { wildcard: "*-rc*" } }, null, true, 1],
      size: [{ numeric: [">", 0, "<=", 1e9] }, { "anything-but": [0, 1] }],
      ip: [{ cidr: "10.0.0.0/8" }, { cidr: "2001:db8::/32" }],
      gone: [{ exists: false }],
      items: { name: [{ exists: true }, { "anything-but": { prefix: "tmp" } }] },
      $or: [
        { a: [{ "anything-but": { "equals-ignore-case": ["x"] } }] },
        { b: [{ "anything-but": { suffix: "z" } }] },
      ],
    },
  };

  it("never throws, whatever the event is", () => {
    const anyEvent = fc.anything({
      maxDepth: 4,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withBigInt: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
    });
    const eventWithDetail = fc.record({ source: anyEvent, detail: fc.dictionary(fc.string(), anyEvent) });

    fc.assert(
      fc.property(fc.oneof(anyEvent, eventWithDetail), (event) => {
        expect(typeof matchesPattern(everyMatcher, event)).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });

  it("matches nothing when the event is not a JSON object", () => {
    const absentOnly: EventPattern = { gone: [{ exists: false }] };

    expect([null, undefined, "event", 42, [{}]].map((event) => matchesPattern(absentOnly, event))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("handles deeply nested and self-referencing arrays in events", () => {
    let deep: unknown = ["v1.2"];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const cyclic: unknown[] = ["x"];
    cyclic.push(cyclic);

    expect(matchesPattern({ tag: [{ wildcard: "v*.*" }] }, { tag: deep })).toBe(true);
    expect(matchesPattern({ tag: ["y"] }, { tag: cyclic })).toBe(false);
  });

  it("throws on an invalid pattern, naming the problem", () => {
    const invalid = { detail: { state: { value: "ALARM" } } } as unknown as EventPattern;

    expect(() => matchesPattern(invalid, alarmStateChange)).toThrow(
      /^invalid event pattern: detail\.state\.value: a pattern leaf must be an array/,
    );
  });
});
