import { describe, expect } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { WORKER_PRODUCTION } from "../packages/cli/src/scenarios/deploy-budget.ts";
import { playScenario } from "../packages/cli/src/scenarios.ts";
import type { Config } from "../packages/core/src/config/index.ts";
import { operateDeployment } from "../packages/core/src/deployments/operator.ts";
import { listAudit } from "../packages/core/src/store/state.ts";
import { it } from "./support/plane.ts";
import { example } from "./support/scenario.ts";

// Issue #12, promotion between environments: a deployment that `promoteFrom`s another deploys
// only digests that succeeded there (docs/decisions/0028-*.md).

const STAGING = "queue-worker:live";
const PRODUCTION = "queue-worker-prod:live";

/** The example's worker is staging; `worker-prod` promotes from it (its own pushes of `:prod` too). */
const promoted = (extra: Record<string, unknown> = {}): Config =>
  example((raw) => ({
    ...raw,
    deployments: [...(raw.deployments ?? []), { ...WORKER_PRODUCTION, ...extra }],
  }));

const audit = async (plane: ControlPlane) => listAudit(plane.store);

describe("promotion between environments (issue #12)", () => {
  it.override("config", promoted());

  it("starts the production deployment of a digest once its staging deployment serves it at 100%", async ({
    plane,
  }) => {
    const digest = plane.account.ecr.pushImage("queue-worker", "stable", "a");
    await plane.runOut();

    expect(plane.aliases()[STAGING]).toEqual({ version: "2", weights: {} });
    expect(plane.aliases()[PRODUCTION]).toEqual({ version: "2", weights: {} });
    const started = (await audit(plane)).find((a) => a.subject === "worker-prod" && a.decision === "started");
    expect(started?.reason).toContain(`promotion of ${digest}`);
    expect(plane.account.sfn.executions()).toHaveLength(2);
  });

  it("refuses and audits a direct push of a digest that did not pass staging", async ({ plane }) => {
    const digest = plane.account.ecr.pushImage("queue-worker", "prod", "b");
    await plane.runOut();

    expect(plane.aliases()[PRODUCTION]).toEqual({ version: "1", weights: {} });
    const refused = (await audit(plane)).find((a) => a.subject === "worker-prod" && a.decision === "refused");
    expect(refused?.reason).toContain(`${digest} did not pass worker`);
    await expect(
      operateDeployment(plane.context, {
        verb: "deploy",
        deployment: "worker-prod",
        tag: "prod",
        by: "alice",
        reason: "hotfix",
      }),
    ).resolves.toMatchObject({ outcome: "refused" });
  });

  it("refuses a promoteFrom that names no deployment, with the fix", () => {
    expect(() => promoted({ promoteFrom: "stagin" })).toThrow(/promoteFrom.*names no deployment: "stagin"/);
  });
});

describe("the promotion scenarios", () => {
  for (const name of ["staging-to-production-promotion", "unpromoted-digest-refused"])
    it(`plays ${name} as its expectations say`, async () => {
      const result = await playScenario(name, example());

      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(true);
    });
});
