import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { type Config, parseConfig } from "../packages/core/src/config/index.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { githubWorker, untilAlias } from "./support/deploy.ts";
import { example, fixture, variant } from "./support/scenario.ts";

// Issue #11, findings 4, 5, 6, 7 and 14 (Health events, suppressed alarms): each replayed end to
// end on the simulated account. The push, scan and alarm events are AWS's samples, changed only
// where a test says so (another id, time, account, region or finding count).

const START = Date.parse("2019-11-16T01:54:34Z");
const DIGEST = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234";

type Event = {
  id: string;
  time?: string;
  account?: string;
  region?: string;
  detail: Record<string, unknown>;
};

let plane: ControlPlane | undefined;
afterEach(async () => {
  await plane?.close();
  plane = undefined;
});

async function start(config: Config = example()): Promise<ControlPlane> {
  plane = await startControlPlane(config, { start: START });
  return plane;
}

/** AWS's push sample (us-west-2, a region the example's runbook names), under another event id. */
const push = (id: string, change: (e: Event) => void = () => undefined) =>
  variant<Event>("aws/ecr/image-push.json", (e) => {
    e.id = id;
    change(e);
  }) as never;

/** A basic scan of the pushed digest in the stack's registry, finished at `time` with these counts. */
const scan = (
  id: string,
  time: string,
  counts: Record<string, number>,
  change: (e: Event) => void = () => undefined,
) =>
  variant<Event>("scenarios/image-scan-clean.json", (e) => {
    e.id = id;
    e.time = time;
    e.detail["finding-severity-counts"] = counts;
    change(e);
  }) as never;

const apiAlias = (p: ControlPlane) => p.aliases()["api-handler:live"];
const deadLetters = (p: ControlPlane) =>
  p.account.sqs.messages(p.dlqName).map((m) => JSON.parse(String((m as { Body?: string }).Body ?? m)).reason);

describe("scan results are ordered by the scanner's time (finding 4)", () => {
  it("keeps a digest blocked by a CRITICAL scan when an older MEDIUM-only scan arrives later, and a re-push does not deploy", async () => {
    const p = await start();
    await p.deliver(push("push-1"));
    await p.deliver(scan("scan-critical", "2019-11-16T01:56:00Z", { CRITICAL: 2, MEDIUM: 1 }));
    await p.runOut();
    expect(apiAlias(p)).toEqual({ version: "1", weights: {} });

    const late = await p.deliver(scan("scan-older-medium", "2019-11-16T01:55:00Z", { MEDIUM: 3 }));
    await p.deliver(push("push-2"));
    await p.runOut();

    expect(late.outcomes[0]?.result).toMatchObject({ reaction: "scan-result", outcome: "superseded" });
    expect(apiAlias(p)).toEqual({ version: "1", weights: {} });
    const blocked = (await listAudit(p.store)).filter((a) => a.decision === "blocked").map((a) => a.reason);
    expect(blocked).toEqual([
      "2 CRITICAL finding(s) at or above the gate's threshold HIGH",
      "2 CRITICAL finding(s) at or above the gate's threshold HIGH",
    ]);
  });

  it("lets a newer clean scan lift the block: the next push of the digest deploys", async () => {
    const p = await start();
    await p.deliver(push("push-1"));
    await p.deliver(scan("scan-critical", "2019-11-16T01:55:00Z", { CRITICAL: 2 }));
    await p.runOut();

    await p.deliver(scan("scan-rescan-clean", "2019-11-16T01:58:00Z", { LOW: 1 }));
    await p.deliver(push("push-2"));
    await p.runOut();

    expect(apiAlias(p)).toEqual({ version: "2", weights: {} });
  });

  it("keeps the worse of two results with one scan time", async () => {
    const p = await start();
    await p.deliver(scan("scan-critical", "2019-11-16T01:55:00Z", { CRITICAL: 1 }));
    await p.deliver(scan("scan-clean-same-second", "2019-11-16T01:55:00Z", { LOW: 1 }));

    await p.deliver(push("push-1"));
    await p.runOut();

    expect(apiAlias(p)).toEqual({ version: "1", weights: {} });
  });

  it("rejects a scan dated in the future, which would outrank every real scan", async () => {
    const p = await start();

    const delivery = await p.deliver(scan("scan-future", "2030-01-01T00:00:00Z", { LOW: 1 }));

    expect(delivery.outcomes[0]?.result).toMatchObject({ outcome: "rejected" });
    expect(deadLetters(p).join()).toContain("in the future");
  });
});

describe("events from accounts and regions the config does not name are refused (finding 5)", () => {
  it("rejects and dead-letters a push from another account, and deploys nothing", async () => {
    const p = await start();

    const delivery = await p.deliver(push("push-foreign", (e) => (e.account = "999999999999")));
    await p.runOut();

    expect(delivery.outcomes[0]?.result).toMatchObject({ outcome: "rejected" });
    expect(p.account.sfn.executions()).toEqual([]);
    expect(deadLetters(p)).toEqual([expect.stringContaining('from account "999999999999"')]);
  });

  it("rejects a push from a region the config does not name", async () => {
    const p = await start();

    await p.deliver(push("push-elsewhere", (e) => (e.region = "eu-central-1")));

    expect(p.account.sfn.executions()).toEqual([]);
    expect(deadLetters(p)).toEqual([expect.stringContaining('from region "eu-central-1"')]);
  });

  it("acts for an account listed in provenance.accounts", async () => {
    const p = await start(example((raw) => ({ ...raw, provenance: { accounts: ["999999999999"] } })));

    await p.deliver(push("push-listed", (e) => (e.account = "999999999999")));

    expect(p.account.sfn.executions()).toHaveLength(1);
  });

  it("deploys the image from the configured registry, never the account or region the push event names", async () => {
    const p = await start();

    await p.deliver(push("push-west")); // AWS's sample: us-west-2

    const [execution] = p.account.sfn.executions();
    expect(JSON.parse(String(execution?.input)).imageUri).toBe(
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/my-repository-name@${DIGEST}`,
    );
  });

  it("does not pass the gate on a clean scan of a same-named repository in another registry", async () => {
    const p = await start();
    await p.deliver(push("push-1"));

    await p.deliver(scan("scan-west", "2019-11-16T01:56:00Z", { LOW: 1 }, (e) => (e.region = "us-west-2")));
    await p.deliver(
      scan("scan-foreign", "2019-11-16T01:56:00Z", { LOW: 1 }, (e) => (e.account = "999999999999")),
    );
    await p.runOut();

    expect(apiAlias(p)).toEqual({ version: "1", weights: {} });
    const blocked = (await listAudit(p.store)).find((a) => a.decision === "blocked");
    expect(blocked?.reason).toMatch(/no scan result .* within 1800 s/);
  });
});

describe("an older GitHub release never replaces a newer one by event (finding 6)", () => {
  type Release = Event & { detail: { release: Record<string, unknown> } };
  /** GitHub's release sample (0.0.1, published 2019-05-15T15:20:53Z), as the receiver puts it on the bus. */
  const release = (id: string, change: (e: Release) => void = () => undefined) =>
    variant<Release>("github/release-published.json", (e) => {
      e.id = id;
      change(e);
    }) as never;
  const newer = (e: Release) => {
    e.detail.release.id = 17372791;
    e.detail.release.tag_name = "0.0.2";
    e.detail.release.created_at = "2019-05-20T10:00:00Z";
    e.detail.release.published_at = "2019-05-20T10:00:00Z";
  };

  it("refuses and audits a replayed older release after a newer one deployed", async () => {
    const p = await start(githubWorker());
    p.account.ecr.pushImage("queue-worker", "0.0.1");
    p.account.ecr.pushImage("queue-worker", "0.0.2");
    await p.settle();
    await p.deliver(release("release-0.0.2", newer));
    await p.runOut();
    expect(p.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });

    // A captured 0.0.1 delivery, resent with a new X-GitHub-Delivery id: a new event on the bus.
    const replayed = await p.deliver(release("release-0.0.1-replayed"));
    await p.runOut();

    expect(replayed.outcomes[0]?.result).toMatchObject({ reaction: "deploy", outcome: "refused" });
    expect(p.aliases()["queue-worker:live"]).toEqual({ version: "2", weights: {} });
    expect(p.account.sfn.executions()).toHaveLength(1);
    const refused = (await listAudit(p.store)).find((a) => a.decision === "refused");
    expect(refused).toMatchObject({ subject: "worker", eventId: "release-0.0.1-replayed" });
    expect(refused?.reason).toContain("release 0.0.1 (2019-05-15T15:20:53.000Z) is older than release 0.0.2");
  });

  it("deploys a newer release after an older one", async () => {
    const p = await start(githubWorker());
    p.account.ecr.pushImage("queue-worker", "0.0.1");
    p.account.ecr.pushImage("queue-worker", "0.0.2");
    await p.settle();
    await p.deliver(release("release-0.0.1"));
    await p.runOut();

    await p.deliver(release("release-0.0.2", newer));
    await p.runOut();

    expect(p.aliases()["queue-worker:live"]).toEqual({ version: "3", weights: {} });
  });
});

describe("safety.paused in the config stops automation (finding 7)", () => {
  const paused = () => example((raw) => ({ ...raw, safety: { ...raw.safety, paused: true } }));

  it("starts no deployment on a push while the config says paused, and audits why", async () => {
    const p = await start(paused());

    const delivery = await p.deliver(push("push-paused"));

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "deploy", outcome: "paused" });
    expect(p.account.sfn.executions()).toEqual([]);
    const audit = (await listAudit(p.store)).find((a) => a.eventId === "push-paused");
    expect(audit?.reason).toContain("safety.paused is true in the config");
  });

  it("rolls nothing back on an alarm while the config says paused", async () => {
    const p = await start(paused());
    p.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");

    const delivery = await p.deliver(fixture("scenarios/alarm-server-cpu-too-high.json") as never);

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "rollback", outcome: "paused" });
  });
});

describe("audit records written in one millisecond sort in write order (finding 14)", () => {
  it("lists records of one virtual instant in the order they were written", async () => {
    const p = await start();
    const { recordAudit } = await import("../packages/core/src/store/state.ts");

    for (let i = 0; i < 40; i++) {
      await recordAudit(p.store, { reaction: "test", decision: "noted", reason: `record ${i}` });
    }

    const reasons = (await listAudit(p.store)).filter((a) => a.reaction === "test").map((a) => a.reason);
    expect(reasons).toEqual(Array.from({ length: 40 }, (_, i) => `record ${i}`));
  });
});

describe("AWS Health issues from another account or far in the past start no failover (finding 14)", () => {
  /** The ignition runbook of the example, taking AWS Health issues in its primary region (us-east-1). */
  const healthConfig = () =>
    example((raw) => ({
      ...raw,
      failover: {
        runbooks: raw.failover?.runbooks?.map((r) => ({
          ...r,
          triggers: { alarms: [], health: true },
        })),
      },
    }));
  const issue = (id: string, change: (d: Record<string, unknown>) => void) =>
    variant<Event>("aws/health/public-elb-operational-issue.json", (e) => {
      e.id = id;
      e.region = "us-east-1";
      e.time = "2019-11-16T01:50:00Z";
      e.detail.eventArn = "arn:aws:health:us-east-1::event/AWS_ELASTICLOADBALANCING_API_ISSUE_1";
      e.detail.eventRegion = "us-east-1";
      e.detail.startTime = "Sat, 16 Nov 2019 01:40:00 GMT";
      e.detail.lastUpdatedTime = "Sat, 16 Nov 2019 01:45:00 GMT";
      change(e.detail);
    }) as never;
  const failovers = (p: ControlPlane) =>
    p.account.sfn.executions().filter((e) => e.name.startsWith("ignition-"));

  it("starts the runbook on a recent issue in its primary region (the control case)", async () => {
    const p = await start(healthConfig());

    await p.deliver(issue("health-recent", () => undefined));

    expect(failovers(p)).toHaveLength(1);
  });

  it("refuses an issue dated 1970", async () => {
    const p = await start(healthConfig());

    const delivery = await p.deliver(
      issue("health-1970", (d) => {
        d.startTime = "Thu, 01 Jan 1970 00:00:00 GMT";
        d.lastUpdatedTime = "Thu, 01 Jan 1970 00:00:00 GMT";
      }),
    );

    expect(failovers(p)).toEqual([]);
    expect(delivery.outcomes[0]?.result).toMatchObject({ outcome: "rejected" });
  });

  it("refuses an issue whose date does not parse", async () => {
    const p = await start(healthConfig());

    await p.deliver(
      issue("health-undated", (d) => {
        d.lastUpdatedTime = "not a date";
      }),
    );

    expect(failovers(p)).toEqual([]);
  });

  it("refuses an issue an organisational view delivers for another account", async () => {
    const p = await start(healthConfig());

    const delivery = await p.deliver(
      issue("health-other-account", (d) => {
        d.affectedAccount = "999999999999";
      }),
    );

    expect(failovers(p)).toEqual([]);
    expect(JSON.stringify(delivery.outcomes)).toContain("concerns account 999999999999");
  });
});

describe("a muted (actions-suppressed) composite alarm follows the deployment's suppressedAlarms policy (finding 14)", () => {
  /** AWS's suppressed composite sample, renamed to the alarm guarding the api deployment. */
  const mutedAlarm = () =>
    variant<Event>("aws/cloudwatch/alarm-state-change-composite-suppressed.json", (e) => {
      e.detail.alarmName = "ServerCpuTooHigh";
      e.time = "2019-11-16T02:00:00Z";
    }) as never;
  const withPolicy = (policy: "rollback" | "ignore") =>
    example((raw) => ({
      ...raw,
      deployments: raw.deployments?.map((d) => (d.name === "api" ? { ...d, suppressedAlarms: policy } : d)),
    }));
  const canaryAt10Percent = async (p: ControlPlane) => {
    await p.deliver(push("push-1"));
    await p.deliver(scan("scan-clean", "2019-11-16T01:56:00Z", { LOW: 1 }));
    // Lambda applies the new code for a few seconds of virtual time before the first shift.
    await untilAlias(p, "api-handler:live", { version: "1", weights: { "2": 0.1 } });
    expect(apiAlias(p)).toEqual({ version: "1", weights: { "2": 0.1 } });
    p.account.cloudwatch.observeState("ServerCpuTooHigh", "ALARM");
  };

  it("rolls back by default, and records that the alarm's actions were suppressed", async () => {
    const p = await start(withPolicy("rollback"));
    await canaryAt10Percent(p);

    await p.deliver(mutedAlarm());

    expect(apiAlias(p)).toEqual({ version: "1", weights: {} });
    const rolledBack = (await listAudit(p.store)).filter((a) => a.reaction === "rollback");
    expect(JSON.stringify(rolledBack)).toContain("suppressed (WaitPeriod)");
  });

  it('leaves the canary alone and audits the suppression when the deployment says "ignore"', async () => {
    const p = await start(withPolicy("ignore"));
    await canaryAt10Percent(p);

    const delivery = await p.deliver(mutedAlarm());

    expect(delivery.outcomes[0]?.result).toMatchObject({ reaction: "rollback", outcome: "suppressed" });
    expect(apiAlias(p)).toEqual({ version: "1", weights: { "2": 0.1 } });
    const suppressed = (await listAudit(p.store)).find((a) => a.decision === "suppressed");
    expect(suppressed?.reason).toContain('suppressedAlarms "ignore"');
  });

  it("rejects an unknown policy at config load, naming the choices", () => {
    expect(() =>
      parseConfig({
        deployments: [
          {
            name: "api",
            function: "api-handler",
            alias: "live",
            image: { repository: "api", tag: "latest" },
            strategy: "AllAtOnce",
            suppressedAlarms: "pause",
          },
        ],
      }),
    ).toThrow(/suppressedAlarms: unknown suppressed-alarm policy "pause"/);
  });
});
