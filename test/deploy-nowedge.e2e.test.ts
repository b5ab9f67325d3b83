import { BatchDeleteImageCommand } from "@aws-sdk/client-ecr";
import { StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { operatorAbandon, operatorRollback } from "../packages/cli/src/ops.ts";
import { executionOutcome } from "../packages/cli/src/replay.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { listAudit, readDeployment } from "../packages/core/src/store/state.ts";
import type { Fault } from "../packages/sim/src/index.ts";
import { opsTarget, untilAlias } from "./support/deploy.ts";
import { example } from "./support/scenario.ts";

const WORKER = "queue-worker:live";
const start = Date.parse("2019-11-16T01:54:34Z");

/** The worker deployment (no scan gate), with its newer-image policy. */
const worker = (onNewerImage?: "supersede" | "queue" | "reject"): Config =>
  example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker" && onNewerImage ? { ...d, onNewerImage } : d,
    ),
  }));

/** The worker's first push deployed with `fault` injected, run to its end. */
async function workerDeployWith(fault: Fault): Promise<ControlPlane> {
  const plane = await startControlPlane(worker(), { start });
  plane.account.injectFault(fault);
  plane.account.ecr.pushImage("queue-worker", "stable", "first");
  await plane.runOut();
  return plane;
}

/**
 * The worker deploy stuck before it published a version: GetFunctionConfiguration keeps failing,
 * so the poll's retries run out and the execution fails in place.
 */
const stuckBeforePublish = () =>
  workerDeployWith({
    service: "lambda",
    action: "GetFunctionConfiguration",
    error: "ServiceException",
    times: 5,
  });

/** The worker deploy of an image tagged `tag` baking its canary: version 2 at 10%. */
async function workerCanary(
  tag: string,
  onNewerImage?: "supersede" | "queue" | "reject",
): Promise<ControlPlane> {
  const plane = await startControlPlane(worker(onNewerImage), { start });
  plane.account.ecr.pushImage("queue-worker", "stable", tag);
  await untilAlias(plane, WORKER, { version: "1", weights: { "2": 0.1 } });
  return plane;
}

describe("no wedges: every end of a deploy leaves its record settled (issue #11 findings 2, 10)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());
  const subjects = () => plane.account.sns.published().map((m) => m.Subject);

  it("abandons the deployment on a permanent UpdateFunctionCode error, and the next push deploys", async () => {
    plane = await workerDeployWith({
      service: "lambda",
      action: "UpdateFunctionCode",
      error: "InvalidParameterValueException",
      times: 1,
    });

    const [first] = plane.account.sfn.executions();
    expect(first && executionOutcome(first)).toBe("abandoned");
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "abandoned" });
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    const abandoned = (await listAudit(plane.store)).find((a) => a.decision === "abandoned");
    expect(abandoned?.reason).toMatch(
      /^PermanentFailure: lambda:UpdateFunctionCode: InvalidParameterValueException/,
    );
    expect(subjects()).toContain("Switchyard: worker abandoned");

    plane.account.ecr.pushImage("queue-worker", "stable", "second");
    await plane.runOut();

    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });

  it("abandons with Lambda's reason when the update it applied fails (the image left ECR before the pull)", async () => {
    plane = await startControlPlane(worker(), { start });
    const digest = plane.account.ecr.pushImage("queue-worker", "stable", "doomed");
    await plane.settle();
    await plane.clients.ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "queue-worker", imageIds: [{ imageDigest: digest }] }),
    );
    await plane.runOut();

    const [execution] = plane.account.sfn.executions();
    expect(execution && executionOutcome(execution)).toBe("abandoned");
    expect((await listAudit(plane.store)).find((a) => a.decision === "abandoned")?.reason).toMatch(
      /Lambda could not apply .*\(ImageDeleted\)/,
    );
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect((await readDeployment(plane.store, "worker"))?.status).toBe("abandoned");
  });

  it("restores the alias, settles the record and tells a human when the execution is stopped from the console mid-bake", async () => {
    plane = await workerCanary("first");
    const [execution] = plane.account.sfn.executions();

    await plane.clients.sfn.send(new StopExecutionCommand({ executionArn: String(execution?.arn) }));
    await plane.settle();

    expect(execution?.status).toBe("ABORTED");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "abandoned", generation: 2 });
    const told = (await listAudit(plane.store)).find((a) => a.reaction === "deploy-watch");
    expect(told?.decision).toBe("abandoned");
    expect(told?.reason).toMatch(
      /switchyard rollback worker.*switchyard promote worker.*switchyard abandon worker/,
    );
    expect(subjects()).toContain("Switchyard: deploy of worker needs a human");
  });

  it("lets an operator abandon, or roll back, a deployment stuck before it published a version", async () => {
    plane = await stuckBeforePublish();
    expect(plane.account.sfn.executions()[0]?.status).toBe("FAILED");
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "shifting", newVersion: "" });

    const out = await operatorAbandon(worker(), opsTarget(plane), "worker", "stuck", "alice");

    expect(out.outcome).toBe("abandoned");
    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "abandoned", generation: 2 });
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    await expect(operatorRollback(worker(), opsTarget(plane), "worker", "again", "alice")).rejects.toThrow(
      /no shifting or succeeded deployment/,
    );
  });

  it("rolls back a stuck record with the operator's rollback", async () => {
    plane = await stuckBeforePublish();

    await operatorRollback(worker(), opsTarget(plane), "worker", "stuck", "alice");

    expect(await readDeployment(plane.store, "worker")).toMatchObject({ status: "rolled-back" });
    plane.account.ecr.pushImage("queue-worker", "stable", "second");
    await plane.runOut();
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
  });
});

describe("a newer push while a deployment shifts (onNewerImage, finding 3)", () => {
  let plane: ControlPlane;
  afterEach(async () => plane?.close());
  const subjects = () => plane.account.sns.published().map((m) => m.Subject);

  it("supersedes by default: the one in flight goes back to stable and stops, the newer one deploys", async () => {
    plane = await workerCanary("a");

    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.settle();
    const [a, b] = plane.account.sfn.executions();
    expect(a?.status).toBe("ABORTED");
    expect(plane.aliases()[WORKER]).toEqual({ version: "1", weights: {} });
    await plane.runOut();

    expect(b && executionOutcome(b)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
    expect((await listAudit(plane.store)).map((x) => x.decision)).toContain("superseded");
    expect(subjects()).toContain("Switchyard: deploy of worker superseded");
  });

  it("queues: the newer push starts when the one in flight ends", async () => {
    plane = await workerCanary("a", "queue");

    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.settle();
    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect(subjects()).toContain("Switchyard: deploy of worker queued");
    await plane.runOut();

    const [a, b] = plane.account.sfn.executions();
    expect(a && executionOutcome(a)).toBe("deployed");
    expect(b && executionOutcome(b)).toBe("deployed");
    expect(plane.aliases()[WORKER]).toEqual({ version: "3", weights: {} });
  });

  it("rejects when told to, and says so", async () => {
    plane = await workerCanary("a", "reject");

    plane.account.ecr.pushImage("queue-worker", "stable", "b");
    await plane.runOut();

    expect(plane.account.sfn.executions()).toHaveLength(1);
    expect(plane.aliases()[WORKER]).toEqual({ version: "2", weights: {} });
    expect((await listAudit(plane.store)).find((x) => x.decision === "rejected")?.reason).toMatch(
      /onNewerImage "reject" refuses/,
    );
    expect(subjects()).toContain("Switchyard: deploy of worker rejected");
  });

  it("refuses an image index with a clear reason, audited and notified, before anything is claimed", async () => {
    plane = await startControlPlane(worker(), { start });

    plane.account.ecr.pushIndex("queue-worker", "stable");
    await plane.runOut();

    expect(plane.account.sfn.executions()).toHaveLength(0);
    expect(await readDeployment(plane.store, "worker")).toBeUndefined();
    expect((await listAudit(plane.store)).find((x) => x.decision === "refused")?.reason).toMatch(
      /image index \/ manifest list .* which Lambda cannot run/,
    );
    expect(subjects()).toContain("Switchyard: deploy of worker refused");
  });
});

describe("duplicate deliveries (finding 14)", () => {
  it("audits started once and spends the action budget once for three concurrent deliveries of one push", async () => {
    const config = example((raw) => ({
      ...raw,
      safety: { ...raw.safety, actionLimit: { max: 2, window: "1h" } },
    }));
    const plane = await startControlPlane(config, { start });
    try {
      const digest = plane.account.ecr.pushImage("queue-worker", "other", "x");
      await plane.settle();
      const event = {
        version: "0",
        id: "3f1b6c2e-0000-4000-8000-000000000001",
        "detail-type": "ECR Image Action",
        source: "aws.ecr",
        account: "123456789012",
        time: "2019-11-16T01:54:34Z",
        region: "us-east-1",
        resources: [],
        detail: {
          result: "SUCCESS",
          "repository-name": "queue-worker",
          "image-digest": digest,
          "action-type": "PUSH",
          "image-tag": "stable",
        },
      };

      await Promise.all([
        plane.deliver(event as never),
        plane.deliver(event as never),
        plane.deliver(event as never),
      ]);

      const audit = await listAudit(plane.store);
      expect(audit.filter((a) => a.decision === "started")).toHaveLength(1);
      expect(audit.filter((a) => a.decision === "duplicate")).toHaveLength(2);
      expect(plane.account.sfn.executions()).toHaveLength(1);
      // The budget of 2 has one left: a second push still starts.
      plane.account.ecr.pushImage("my-repository-name", "latest", "y");
      await plane.settle();
      expect(plane.account.sfn.executions()).toHaveLength(2);
    } finally {
      await plane.close();
    }
  });
});
