import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { issuesOf } from "./issues.ts";
import { ConfigError, parseConfig } from "./parse.ts";

const api = {
  name: "api",
  function: "api-handler",
  alias: "live",
  image: { repository: "my-repository-name", tag: "latest" },
  strategy: "Canary10Percent5Minutes",
};

const withDeployment = (overrides: Record<string, unknown>) => ({ deployments: [{ ...api, ...overrides }] });

/** The one issue reported for `path`. */
function issueAt(raw: unknown, path: string): string {
  const issues = issuesOf(raw);
  const matching = issues.filter((issue) => issue.startsWith(`${path}: `));
  expect(matching, `issues were:\n${issues.join("\n")}`).toHaveLength(1);
  return matching[0] ?? "";
}

describe("parseConfig accepts", () => {
  it("the JSON from the configuration issue exactly as written", () => {
    const raw: unknown = JSON.parse(
      readFileSync(new URL("../../../../test/fixtures/config/issue-example.json", import.meta.url), "utf8"),
    );

    const config = parseConfig(raw);

    expect(config.deployments).toEqual([
      {
        name: "api",
        function: "api-handler",
        alias: "live",
        image: { repository: "my-repository-name", tag: "latest" },
        strategyName: "Canary10Percent5Minutes",
        steps: [
          { weight: 0.1, pauseSeconds: 300 },
          { weight: 1, pauseSeconds: 0 },
        ],
        alarms: ["ServerCpuTooHigh"],
        gates: { scan: { threshold: "HIGH" } },
        scanTimeoutSeconds: 1_800,
        alarmHoldIntervalSeconds: 60,
        alarmHoldMaxSeconds: 900,
        suppressedAlarms: "rollback",
        dryRun: false,
        onNewerImage: "supersede",
      },
    ]);
  });

  it("an empty object, filling every default", () => {
    expect(parseConfig({})).toEqual({
      name: "switchyard",
      region: "us-east-1",
      account: "123456789012",
      deployments: [],
      secrets: [],
      rotation: {},
      failover: { runbooks: [] },
      cost: {
        rules: [],
        protectedTags: [
          { key: "environment", values: ["production", "prod"] },
          { key: "switchyard:protected" },
        ],
        approvalTimeout: 3_600,
        ttl: 86_400,
        dryRun: false,
      },
      notifications: {},
      iam: { functionPrefixes: [], repositoryPrefixes: [] },
      safety: { paused: false, dryRun: false, actionLimit: { max: 20, windowSeconds: 3_600 } },
      provenance: { accounts: ["123456789012"], regions: ["us-east-1"] },
    });
  });

  it("a deployment without a scan gate, leaving its scan timeout undefined", () => {
    const [deployment] = parseConfig(withDeployment({})).deployments;

    expect(deployment?.gates).toEqual({});
    expect(deployment?.scanTimeoutSeconds).toBeUndefined();
  });

  it("custom steps, naming the strategy by its percentages", () => {
    const config = parseConfig(
      withDeployment({
        strategy: {
          steps: [
            { weight: 10, pause: "30s" },
            { weight: 25, pause: "1m" },
          ],
        },
      }),
    );

    expect(config.deployments[0]?.strategyName).toBe("Custom(10,25,100)");
    expect(config.deployments[0]?.steps).toEqual([
      { weight: 0.1, pauseSeconds: 30 },
      { weight: 0.25, pauseSeconds: 60 },
      { weight: 1, pauseSeconds: 0 },
    ]);
  });

  it("a deployment triggered by GitHub, its image tag coming from the release or deployment", () => {
    const { image: _image, ...withoutImage } = api;

    const config = parseConfig({
      deployments: [
        {
          ...withoutImage,
          image: { repository: "my-repository-name" },
          github: { repository: "octo-org/api", on: ["release", "deployment"] },
        },
      ],
    });

    expect(config.deployments[0]?.github).toEqual({
      repository: "octo-org/api",
      on: ["release", "deployment"],
    });
    expect(config.deployments[0]?.image).toEqual({ repository: "my-repository-name" });
  });

  it("rejects a GitHub-triggered deployment that names no image repository, saying why one is needed", () => {
    const { image: _image, ...withoutImage } = api;

    expect(() =>
      parseConfig({
        deployments: [{ ...withoutImage, github: { repository: "octo-org/api", on: ["release"] } }],
      }),
    ).toThrow(/deployments\[0\]: needs "image": \{ "repository": "..." \}: a GitHub release's tag/);
  });

  it("rejects an image without a tag when nothing else triggers the deployment", () => {
    expect(() =>
      parseConfig({ deployments: [{ ...api, image: { repository: "my-repository-name" } }] }),
    ).toThrow(/deployments\[0\]\.image\.tag: is missing: add the tag whose ECR pushes deploy/);
  });

  it("durations, converting them to seconds", () => {
    const config = parseConfig({
      ...withDeployment({
        gates: { scan: { threshold: "CRITICAL", timeout: "1h30m" } },
        alarmHold: { interval: "30s", maxWait: "2d" },
      }),
      safety: { actionLimit: { window: "5m" } },
    });

    expect(config.deployments[0]).toMatchObject({
      scanTimeoutSeconds: 5_400,
      alarmHoldIntervalSeconds: 30,
      alarmHoldMaxSeconds: 172_800,
    });
    expect(config.safety.actionLimit).toEqual({ max: 20, windowSeconds: 300 });
  });

  it("the same function and alias in another account's ARN as a different target", () => {
    const config = parseConfig({
      deployments: [
        api,
        {
          ...api,
          name: "api-eu",
          function: "arn:aws:lambda:eu-west-1:210987654321:function:api-handler",
          image: { repository: "my-repository-name", tag: "eu" },
        },
      ],
    });

    expect(config.deployments.map((deployment) => deployment.name)).toEqual(["api", "api-eu"]);
  });
});

describe("parseConfig rejects, naming the field and the fix:", () => {
  it("a misspelt field, suggesting the one meant", () => {
    const { strategy, ...rest } = api;

    expect(issuesOf({ deployments: [{ ...rest, stratgy: strategy }] })).toContain(
      'deployments[0].stratgy: unknown field "stratgy"; did you mean "strategy"?',
    );
  });

  it("a field nothing resembles, listing the fields allowed there", () => {
    expect(issueAt({ notifications: { slackChannel: "#ops" } }, "notifications.slackChannel")).toBe(
      'notifications.slackChannel: unknown field "slackChannel"; remove it (fields here: topicArn)',
    );
  });

  it("a misspelt top-level field", () => {
    expect(issuesOf({ regoin: "eu-west-1" })).toEqual([
      'regoin: unknown field "regoin"; did you mean "region"?',
    ]);
  });

  it("an unknown strategy name, suggesting the nearest and listing every preset", () => {
    const issue = issueAt(withDeployment({ strategy: "Canary10Percent5Minute" }), "deployments[0].strategy");

    expect(issue).toContain(
      'unknown strategy "Canary10Percent5Minute"; did you mean "Canary10Percent5Minutes"?',
    );
    expect(issue).toContain(
      "AllAtOnce, Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes, Canary10Percent30Minutes, " +
        "Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, Linear10PercentEvery3Minutes, Linear10PercentEvery10Minutes",
    );
  });

  it("CodeDeploy's long configuration name, suggesting the preset name", () => {
    const issue = issueAt(
      withDeployment({ strategy: "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes" }),
      "deployments[0].strategy",
    );

    expect(issue).toContain('did you mean "Linear10PercentEvery2Minutes"?');
  });

  it("a strategy that is neither a name nor steps", () => {
    expect(issueAt(withDeployment({ strategy: 10 }), "deployments[0].strategy")).toContain(
      'must be a strategy; use a preset (AllAtOnce, Canary10Percent5Minutes, Canary10Percent10Minutes, Canary10Percent15Minutes, Canary10Percent30Minutes, Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, Linear10PercentEvery3Minutes, Linear10PercentEvery10Minutes) or custom steps: { "steps": [{ "weight": 10, "pause": "5m" }, { "weight": 100 }] }',
    );
  });

  it("custom steps whose weights do not increase", () => {
    const strategy = {
      steps: [
        { weight: 10, pause: "1m" },
        { weight: 50, pause: "1m" },
        { weight: 50, pause: "1m" },
      ],
    };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps[2].weight")).toBe(
      "deployments[0].strategy.steps[2].weight: must be greater than the previous step's weight 50: each weight is " +
        "the total share on the new version, so the weights rise, e.g. 10, 25, 50, 100",
    );
  });

  it.each([0, 101])("a custom step weight of %i", (weight) => {
    const strategy = { steps: [{ weight, pause: "1m" }] };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps[0].weight")).toBe(
      `deployments[0].strategy.steps[0].weight: must be a percentage of traffic from 1 to 100, got ${weight}; ` +
        "e.g. 10 sends a tenth of the traffic to the new version",
    );
  });

  it("a custom step below 100% without a pause", () => {
    const strategy = { steps: [{ weight: 10 }, { weight: 100 }] };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps[0].pause")).toBe(
      'deployments[0].strategy.steps[0].pause: required below 100%: how long to hold 10% while the alarms watch it; add e.g. "pause": "5m"',
    );
  });

  it("custom steps with no steps", () => {
    expect(issueAt(withDeployment({ strategy: { steps: [] } }), "deployments[0].strategy.steps")).toContain(
      "add at least one step",
    );
  });

  it('a duration written as "5 minutes", suggesting "5m"', () => {
    expect(
      issueAt(withDeployment({ alarmHold: { interval: "5 minutes" } }), "deployments[0].alarmHold.interval"),
    ).toBe(
      'deployments[0].alarmHold.interval: invalid duration "5 minutes": write whole numbers with a unit, largest first, ' +
        'using d, h, m, s (e.g. "30s", "5m", "1h30m", "2d"); did you mean "5m"?',
    );
  });

  it("a zero scan timeout", () => {
    const gates = { scan: { threshold: "HIGH", timeout: "0s" } };

    expect(issueAt(withDeployment({ gates }), "deployments[0].gates.scan.timeout")).toBe(
      'deployments[0].gates.scan.timeout: must be longer than zero, e.g. "1m"',
    );
  });

  it("an alarm hold whose maxWait is shorter than its interval", () => {
    expect(
      issueAt(withDeployment({ alarmHold: { interval: "20m" } }), "deployments[0].alarmHold.maxWait"),
    ).toContain("must be at least the interval (20m)");
  });

  it("a severity in the wrong case, suggesting the right one", () => {
    const gates = { scan: { threshold: "high" } };

    expect(issueAt(withDeployment({ gates }), "deployments[0].gates.scan.threshold")).toBe(
      'deployments[0].gates.scan.threshold: unknown severity "high"; did you mean "HIGH"?',
    );
  });

  it("two deployments with one name", () => {
    const config = {
      deployments: [api, { ...api, function: "other", image: { repository: "other", tag: "1" } }],
    };

    expect(issueAt(config, "deployments[1].name")).toBe(
      'deployments[1].name: "api" is already the name of deployments[0]; give each deployment a unique name',
    );
  });

  it("two deployments on one function alias", () => {
    const config = {
      deployments: [api, { ...api, name: "api-2", image: { repository: "other", tag: "1" } }],
    };

    expect(issueAt(config, "deployments[1].alias")).toBe(
      'deployments[1].alias: deployments[0] ("api") already shifts alias "live" of api-handler; two deployments on ' +
        "one alias would fight over its traffic, so remove one or point it at another alias",
    );
  });

  it("two deployments on one alias when one names the function and the other its ARN", () => {
    const config = {
      deployments: [
        api,
        {
          ...api,
          name: "api-2",
          function: "arn:aws:lambda:us-east-1:123456789012:function:api-handler",
          image: { repository: "other", tag: "1" },
        },
      ],
    };

    expect(issueAt(config, "deployments[1].alias")).toContain(
      'deployments[0] ("api") already shifts alias "live"',
    );
  });

  it("two deployments on one image repository and tag", () => {
    const config = { deployments: [api, { ...api, name: "api-2", function: "other" }] };

    expect(issueAt(config, "deployments[1].image")).toBe(
      'deployments[1].image: deployments[0] ("api") already deploys my-repository-name:latest; which one should a ' +
        "push of it deploy? Give each deployment its own repository or tag",
    );
  });

  it("a deployment with neither an image nor a GitHub source", () => {
    const { image: _image, ...withoutImage } = api;

    expect(issueAt({ deployments: [withoutImage] }, "deployments[0]")).toContain(
      'needs an artifact source: add "image": { "repository": "...", "tag": "..." }',
    );
  });

  it("a notification topic that is not an SNS topic ARN", () => {
    expect(
      issueAt({ notifications: { topicArn: "switchyard-notifications" } }, "notifications.topicArn"),
    ).toBe(
      'notifications.topicArn: must be an SNS topic ARN, e.g. "arn:aws:sns:us-east-1:123456789012:switchyard-notifications"',
    );
  });

  it("a notification topic outside the stack's Region, where SNS would refuse every Publish", () => {
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:oncall";

    expect(issueAt({ notifications: { topicArn } }, "notifications.topicArn")).toBe(
      'notifications.topicArn: the topic is in eu-west-1 but the stack runs in us-east-1, and SNS takes a Publish only in the topic\'s own Region: use a topic in us-east-1, or set region to "eu-west-1"',
    );
    expect(parseConfig({ region: "eu-west-1", notifications: { topicArn } }).notifications.topicArn).toBe(
      topicArn,
    );
  });

  it("a deployment name that cannot go into an execution name, suggesting one that can", () => {
    expect(issueAt(withDeployment({ name: "API Handler" }), "deployments[0].name")).toContain(
      'Step Functions execution names), e.g. "api-handler"',
    );
  });

  it("a function name carrying an alias qualifier", () => {
    expect(issueAt(withDeployment({ function: "api-handler:live" }), "deployments[0].function")).toContain(
      'without a version or alias: put the alias in "alias"',
    );
  });

  it("an alias that is only digits, which Lambda reads as a version", () => {
    expect(issueAt(withDeployment({ alias: "42" }), "deployments[0].alias")).toContain("not only digits");
  });

  it("a GitHub repository that is not owner/name", () => {
    const { image: _image, ...withoutImage } = api;
    const config = { deployments: [{ ...withoutImage, github: { repository: "api", on: ["release"] } }] };

    expect(issueAt(config, "deployments[0].github.repository")).toBe(
      'deployments[0].github.repository: must be "owner/name", e.g. "octo-org/api"',
    );
  });

  it("an action limit below one, pointing at the kill switch", () => {
    expect(issueAt({ safety: { actionLimit: { max: 0 } } }, "safety.actionLimit.max")).toBe(
      "safety.actionLimit.max: must be at least 1; to stop all automation set safety.paused to true instead",
    );
  });

  it("a missing required field", () => {
    const { function: _function, ...withoutFunction } = api;

    expect(issueAt({ deployments: [withoutFunction] }, "deployments[0].function")).toBe(
      'deployments[0].function: missing; add "function" (a string)',
    );
  });

  it.each([
    [
      "account",
      { account: 123456789012 },
      "expected a string, got number 123456789012; put the value in quotes",
    ],
    [
      "deployments[0].alarms",
      withDeployment({ alarms: "ServerCpuTooHigh" }),
      'expected a list, got the string "ServerCpuTooHigh"; make it a list: ["ServerCpuTooHigh"]',
    ],
    [
      "deployments[0].dryRun",
      withDeployment({ dryRun: "true" }),
      'expected true or false, got the string "true"; write true or false without quotes',
    ],
    [
      "safety.actionLimit.max",
      { safety: { actionLimit: { max: "20" } } },
      'expected a number, got the string "20"; remove the quotes',
    ],
    [
      "deployments[0].strategy.steps[0].weight",
      withDeployment({ strategy: { steps: [{ weight: "ten", pause: "1m" }] } }),
      'expected a number, got the string "ten"',
    ],
    ["deployments", { deployments: {} }, "expected a list, got an object"],
  ])("a value of the wrong type at %s", (path, config, message) => {
    expect(issueAt(config, path)).toBe(`${path}: ${message}`);
  });

  it("a config that is not an object", () => {
    expect(issuesOf([])).toEqual([
      'the config must be an object such as { "deployments": [...] }, got a list',
    ]);
  });
});

describe("parseConfig rejects what a Step Functions Standard execution (at most 1 year) cannot run:", () => {
  const LIMIT = 'longer than a Step Functions Standard execution may run (1 year): write at most "365d"';
  const runbook = {
    name: "ignition",
    primaryRegion: "us-east-1",
    secondaryRegion: "us-west-2",
    dns: {
      hostedZoneId: "Z1D633PJN98FT9",
      name: "api.example.com",
      type: "CNAME",
      value: "api-usw2.example.com",
    },
  };

  it("a custom step's pause", () => {
    const strategy = { steps: [{ weight: 10, pause: "400d" }, { weight: 100 }] };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps[0].pause")).toBe(
      `deployments[0].strategy.steps[0].pause: "400d" is ${LIMIT}`,
    );
  });

  it("a custom strategy whose pauses add up to more than a year", () => {
    const strategy = {
      steps: [{ weight: 10, pause: "200d" }, { weight: 50, pause: "200d" }, { weight: 100 }],
    };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps")).toBe(
      "deployments[0].strategy.steps: the pauses add up to 400 days, longer than a Step Functions Standard " +
        "execution may run (1 year): shorten them to 365d in all",
    );
  });

  it("a scan timeout", () => {
    const gates = { scan: { threshold: "HIGH", timeout: "366d" } };

    expect(issueAt(withDeployment({ gates }), "deployments[0].gates.scan.timeout")).toBe(
      `deployments[0].gates.scan.timeout: "366d" is ${LIMIT}`,
    );
  });

  it("an alarm hold's maxWait", () => {
    expect(
      issueAt(withDeployment({ alarmHold: { maxWait: "500d" } }), "deployments[0].alarmHold.maxWait"),
    ).toBe(`deployments[0].alarmHold.maxWait: "500d" is ${LIMIT}`);
  });

  it("a failover approval timeout", () => {
    const raw = { failover: { runbooks: [{ ...runbook, approval: { timeout: "400d" } }] } };

    expect(issueAt(raw, "failover.runbooks[0].approval.timeout")).toBe(
      `failover.runbooks[0].approval.timeout: "400d" is ${LIMIT}`,
    );
  });

  it("a cost approval timeout and time to live", () => {
    expect(issuesOf({ cost: { approvalTimeout: "1000d", ttl: "9000h" } })).toEqual([
      `cost.approvalTimeout: "1000d" is ${LIMIT}`,
      `cost.ttl: "9000h" is ${LIMIT}`,
    ]);
  });

  it("nothing at exactly a year", () => {
    const config = parseConfig({
      ...withDeployment({ strategy: { steps: [{ weight: 10, pause: "365d" }, { weight: 100 }] } }),
      cost: { ttl: "365d" },
    });

    expect(config.deployments[0]?.steps[0]).toEqual({ weight: 0.1, pauseSeconds: 365 * 86_400 });
    expect(config.cost.ttl).toBe(365 * 86_400);
  });
});

describe("parseConfig rejects steps and alarms that cannot mean what they say:", () => {
  it("a pause on the 100% step, which nothing would wait for", () => {
    const strategy = {
      steps: [
        { weight: 50, pause: "5m" },
        { weight: 100, pause: "10m" },
      ],
    };

    expect(issueAt(withDeployment({ strategy }), "deployments[0].strategy.steps[1].pause")).toBe(
      "deployments[0].strategy.steps[1].pause: remove it: the 100% step ends the shift, so nothing would wait " +
        "for its pause; to watch the new version longer, pause on the step before 100%",
    );
  });

  it("an alarm listed twice in one deployment", () => {
    const alarms = ["ApiErrors", "ApiLatency", "ApiErrors"];

    expect(issueAt(withDeployment({ alarms }), "deployments[0].alarms[2]")).toBe(
      'deployments[0].alarms[2]: "ApiErrors" is already listed as alarms[0]; remove the copy or name the alarm you meant',
    );
  });

  it("but not one alarm guarding two deployments", () => {
    const config = parseConfig({
      deployments: [
        { ...api, alarms: ["ApiErrors"] },
        {
          ...api,
          name: "api-2",
          alias: "beta",
          image: { repository: "other", tag: "latest" },
          alarms: ["ApiErrors"],
        },
      ],
    });

    expect(config.deployments.map((d) => d.alarms)).toEqual([["ApiErrors"], ["ApiErrors"]]);
  });
});

describe("parseConfig's error", () => {
  it("reports every issue at once, not just the first", () => {
    const config = {
      deployments: [
        { ...api, stratgy: "AllAtOnce", alarms: "ServerCpuTooHigh" },
        {
          ...api,
          function: "other",
          image: { repository: "other", tag: "1" },
          alarmHold: { interval: "5 minutes" },
        },
      ],
      notifications: { topicArn: "nope" },
      safety: { paused: "no" },
    };

    const issues = issuesOf(config);

    expect(issues.map((issue) => issue.slice(0, issue.indexOf(": ")))).toEqual(
      expect.arrayContaining([
        "deployments[0].alarms",
        "deployments[0].stratgy",
        "deployments[1].alarmHold.interval",
        "notifications.topicArn",
        "safety.paused",
        "deployments[1].name",
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it("names the source and lists each issue on its own line", () => {
    const rejection = (() => {
      try {
        parseConfig({ regoin: "eu-west-1", notifications: { topicArn: "nope" } }, "switchyard.config.json");
      } catch (error) {
        return error;
      }
    })();

    expect(rejection).toBeInstanceOf(ConfigError);
    expect((rejection as ConfigError).message).toBe(
      "invalid config switchyard.config.json:\n" +
        '  - notifications.topicArn: must be an SNS topic ARN, e.g. "arn:aws:sns:us-east-1:123456789012:switchyard-notifications"\n' +
        '  - regoin: unknown field "regoin"; did you mean "region"?',
    );
  });
});
