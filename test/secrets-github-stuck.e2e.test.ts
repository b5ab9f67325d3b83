import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { pgClient } from "../packages/core/src/secrets/sql.ts";
import { recoverStuck } from "../packages/core/src/secrets/stuck.ts";
import { githubRotation, HOOK, SECRET_ID } from "./support/github-rotation.ts";

/**
 * Issue #11, finding 11: a GitHub webhook rotation stuck before setSecret reached GitHub was
 * "recovered" by promoting the pending secret (its test passes: the receiver accepts the
 * pending secret, and GitHub only ever answers a mask), so GitHub kept signing with the old
 * secret and every genuine delivery got 401.
 */

const TOKEN = "21111111-2222-4333-8444-555555555555";
// Invented: the GitHub token and the webhook's initial secret (no public sample of either exists).
const GITHUB_TOKEN = "ghp_webhookStuckRecoveryToken000000000";
const OLD_SECRET = "initial-webhook-secret-1111111111111111";

const world = githubRotation({ githubToken: GITHUB_TOKEN, oldSecret: OLD_SECRET });
const { genuineDelivery, value } = world;

/** GitHub signs the hook's deliveries with OLD_SECRET; a rotation staged AWSPENDING got no further than createSecret. */
async function stuckBeforeSetSecret(storedToken = GITHUB_TOKEN): Promise<ControlPlane> {
  const p = await world.plane({ storedToken });
  await world.startRotationByHand(p, TOKEN);
  await world.step(p, "createSecret", TOKEN);
  return p;
}

describe("recovering a stuck GitHub webhook rotation (issue #11, finding 11)", () => {
  it("gives GitHub the pending secret before promoting it, so genuine deliveries are still accepted", async () => {
    const p = await stuckBeforeSetSecret();
    const pending = await value(p, "AWSPENDING");

    const recovery = await recoverStuck({ clients: p.clients, sql: pgClient }, p.config.secrets[0] as never);

    expect(recovery).toEqual({ outcome: "finished", version: TOKEN });
    expect(await value(p, "AWSCURRENT")).toBe(pending);
    expect(world.hookSecret(HOOK)).toBe(pending);
    expect(await genuineDelivery(p, "e0000000-0000-4000-8000-000000000001")).toBe(202);
  });

  it("clears the pending secret and rotates again when GitHub cannot be given it, and GitHub and the receiver still agree", async () => {
    // The stored GitHub token has been revoked: GitHub refuses the update (401).
    const p = await stuckBeforeSetSecret("ghp_revokedToken00000000000000000000000");

    const recovery = await recoverStuck({ clients: p.clients, sql: pgClient }, p.config.secrets[0] as never);

    expect(recovery).toMatchObject({
      outcome: "retried",
      cleared: TOKEN,
      reason: expect.stringMatching(
        /^setSecret could not be applied again: SetFailed: .*GitHub answered 401/,
      ),
    });
    expect(await value(p, "AWSCURRENT")).toBe(OLD_SECRET);
    const d = await p.clients.secrets.send(new DescribeSecretCommand({ SecretId: SECRET_ID }));
    expect(d.VersionIdsToStages?.[TOKEN] ?? []).not.toContain("AWSPENDING");
    expect(world.hookSecret(HOOK)).toBe(OLD_SECRET);
    expect(await genuineDelivery(p, "e0000000-0000-4000-8000-000000000002")).toBe(202);
  });
});
