import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import { updateAliasByHand } from "./support/deploy.ts";
import { example, variant } from "./support/scenario.ts";

// Issue #11 findings on the deploy side that had no end-to-end regression test: a push whose input
// cannot be valid (finding 3), and GitHub deliveries deduplicated by content and ordered by
// GitHub's time for deployments as well as releases (finding 6 and "No downgrade by event").

const start = Date.parse("2019-11-16T01:54:34Z");
const WORKER = "queue-worker:live";

type Github = { id: string; detail: Record<string, Record<string, unknown>> };

describe("a push whose deploy input cannot be valid is refused, audited and notified (finding 3)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());

  it("refuses a push while the alias points at $LATEST (no stable version to go back to), and says so", async () => {
    plane = await startControlPlane(example(), { start });
    await updateAliasByHand(plane, "queue-worker", { FunctionVersion: "$LATEST" });

    plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();

    expect(plane.account.sfn.executions()).toHaveLength(0);
    expect(await readDeployment(plane.store, "worker")).toBeUndefined();
    const refused = (await listAudit(plane.store)).find((a) => a.decision === "invalid-input");
    expect(refused).toMatchObject({ reaction: "deploy", subject: "worker" });
    expect(refused?.reason).toMatch(/stableVersion: stableVersion must be a published version number/);
    expect(plane.account.sns.published().map((m) => m.Subject)).toContain(
      "Switchyard: deploy of worker refused",
    );
  });
});

describe("GitHub deliveries are deduplicated by content and never move a deployment back", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());
  const githubWorker = (on: ("release" | "deployment")[], actionLimit = { max: 20, window: "1h" }): Config =>
    example((raw) => ({
      ...raw,
      safety: { ...raw.safety, actionLimit },
      deployments: raw.deployments?.map((d) =>
        d.name === "worker"
          ? {
              ...d,
              image: { repository: "queue-worker" },
              github: { repository: "Codertocat/Hello-World", on },
            }
          : d,
      ),
    }));

  it("starts one deployment, and spends the action budget once, for a release resent under a new delivery id", async () => {
    plane = await startControlPlane(githubWorker(["release"], { max: 2, window: "1h" }), { start });
    plane.account.ecr.pushImage("queue-worker", "0.0.1");
    await plane.settle();
    const release = (id: string) =>
      variant<Github>("github/release-published.json", (e) => {
        e.id = id;
      }) as never;

    await plane.deliver(release("delivery-1"));
    const resent = await plane.deliver(release("delivery-2-same-release"));
    await plane.runOut();

    expect(resent.outcomes[0]?.result).toMatchObject({ reaction: "deploy", outcome: "duplicate" });
    expect(plane.account.sfn.executions()).toHaveLength(1);
    const audit = await listAudit(plane.store);
    // One "started" from the trigger (the publish step audits its own "started" with the version).
    expect(
      audit.filter((a) => a.decision === "started" && a.reason.startsWith("GitHub release")),
    ).toHaveLength(1);
    expect(audit.find((a) => a.decision === "duplicate")?.reason).toMatch(
      /^event delivery-2-same-release \(release 0\.0\.1\) already started execution worker-release-17372790/,
    );
    // The budget of 2 has one left: another deployment still starts.
    plane.account.ecr.pushImage("my-repository-name", "latest", "y");
    await plane.settle();
    expect(plane.account.sfn.executions()).toHaveLength(2);
  });

  it("refuses a GitHub deployment created before the one the deployment took", async () => {
    plane = await startControlPlane(githubWorker(["deployment"]), { start });
    const older = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
    const newer = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    plane.account.ecr.pushImage("queue-worker", older);
    plane.account.ecr.pushImage("queue-worker", newer);
    await plane.settle();
    const deployment = (id: string, change: (d: Record<string, unknown>) => void = () => undefined) =>
      variant<Github>("github/deployment-created.json", (e) => {
        e.id = id;
        change(e.detail.deployment ?? {});
      }) as never;

    await plane.deliver(
      deployment("deployment-newer", (d) => {
        d.id = 145988747;
        d.sha = newer;
        d.created_at = "2019-05-16T09:00:00Z";
      }),
    );
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });

    const replayed = await plane.deliver(deployment("deployment-older-replayed"));
    await plane.runOut();

    expect(replayed.outcomes[0]?.result).toMatchObject({ reaction: "deploy", outcome: "refused" });
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect((await listAudit(plane.store)).find((a) => a.decision === "refused")?.reason).toMatch(
      /^deployment f95f852b\S* \(2019-05-15T15:20:53\.000Z\) is older than deployment 0a1b2c3d\S* \(2019-05-16T09:00:00\.000Z\)/,
    );
  });
});
