import { RotateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import type { ControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { parseConfig } from "../packages/core/src/config/index.ts";
import { githubRotation, HOOK, SECRET_ID, TOKEN_SECRET } from "./support/github-rotation.ts";
import { example } from "./support/scenario.ts";

/** A hook nobody ever gave a secret. */
const UNSET_HOOK = "Codertocat/Hello-World#5";
const TOKEN = "11111111-2222-4333-8444-555555555555";
const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
// Invented: the GitHub token and the webhook's initial secret (no public sample of either exists).
const GITHUB_TOKEN = "ghp_webhookRotationTestToken0000000000";
const OLD_SECRET = "initial-webhook-secret-0000000000000000";

const world = githubRotation({
  githubToken: GITHUB_TOKEN,
  oldSecret: OLD_SECRET,
  hooks: [HOOK, UNSET_HOOK],
  seedHook: false,
});
const { deliver, labelled } = world;
const plane = (options: Record<string, unknown> = {}) => world.plane({ options });
const step = (p: ControlPlane, Step: string) => world.step(p, Step, TOKEN);
const startRotationByHand = (p: ControlPlane) => world.startRotationByHand(p, TOKEN);
const secretValue = world.value;

describe("github-webhook-secret rotator", () => {
  it("accepts deliveries signed with the old and the new secret during the rotation window, and only the new one after finishSecret", async () => {
    const p = await plane();
    await startRotationByHand(p);
    expect((await step(p, "createSecret")).error).toBeUndefined();
    expect((await step(p, "setSecret")).error).toBeUndefined();
    const pending = await secretValue(p, "AWSPENDING");

    const windowNew = await deliver(p, pending, "d0000000-0000-4000-8000-000000000001");
    const windowOld = await deliver(p, OLD_SECRET, "d0000000-0000-4000-8000-000000000002");
    expect((await step(p, "testSecret")).error).toBeUndefined();
    expect((await step(p, "finishSecret")).error).toBeUndefined();
    // The receiver caches the secrets for 60 seconds; past that it reads the finished rotation.
    p.account.clock.tick(61_000);
    const afterOld = await deliver(p, OLD_SECRET, "d0000000-0000-4000-8000-000000000003");
    const afterNew = await deliver(p, pending, "d0000000-0000-4000-8000-000000000004");

    expect({ windowNew, windowOld, afterOld, afterNew }).toEqual({
      windowNew: 202,
      windowOld: 202,
      afterOld: 401,
      afterNew: 202,
    });
    expect(world.hookSecret(HOOK)).toBe(pending);
    expect(await secretValue(p, "AWSCURRENT")).toBe(pending);
    expect(pending).not.toBe(OLD_SECRET);
  });

  it("lets every step run twice in a row with the same end state", async () => {
    const p = await plane();
    await startRotationByHand(p);
    const outcomes: unknown[] = [];
    for (const Step of STEPS)
      for (let i = 0; i < 2; i++) {
        const out = await step(p, Step);
        outcomes.push(out.error ?? (out.result as { outcome: string }).outcome);
      }
    expect(outcomes).toEqual(["done", "already", "done", "done", "done", "done", "done", "current"]);
    expect(world.hookSecret(HOOK)).toBe(await secretValue(p, "AWSCURRENT"));
  });

  const failures: Record<
    (typeof STEPS)[number],
    { action: string; when: (input: Record<string, unknown>) => boolean }
  > = {
    createSecret: { action: "GetRandomPassword", when: () => true },
    // setSecret reads the GitHub token first, testSecret second.
    setSecret: { action: "GetSecretValue", when: (input) => input.SecretId === TOKEN_SECRET },
    testSecret: { action: "GetSecretValue", when: (input) => input.SecretId === TOKEN_SECRET },
    finishSecret: { action: "UpdateSecretVersionStage", when: () => true },
  };
  for (const failing of STEPS) {
    it(`leaves consistent stages when ${failing} fails, and a retry completes the rotation`, async () => {
      const p = await plane();
      let tokenReads = 0;
      const { action, when } = failures[failing];
      p.account.injectFault({
        service: "secretsmanager",
        action,
        error: "InternalServiceError",
        times: 1,
        when: (input) => {
          if (!when(input)) return false;
          if (action !== "GetSecretValue") return true;
          return tokenReads++ === (failing === "setSecret" ? 0 : 1);
        },
      });
      const rotate = () =>
        p.clients.secrets.send(new RotateSecretCommand({ SecretId: SECRET_ID, ClientRequestToken: TOKEN }));

      await rotate();
      const failed = p.account.secrets.rotations.at(-1)?.error?.step;
      const currentAfterFailure = await secretValue(p, "AWSCURRENT");
      const pendingAfterFailure = await labelled(p, "AWSPENDING");
      await rotate();

      expect(failed).toBe(failing);
      expect(currentAfterFailure).toBe(OLD_SECRET);
      expect(pendingAfterFailure).toEqual([TOKEN]);
      expect(await labelled(p, "AWSCURRENT")).toEqual([TOKEN]);
      expect(await labelled(p, "AWSPENDING")).toEqual([TOKEN]);
      expect(await labelled(p, "AWSPREVIOUS")).toHaveLength(1);
      const now = await secretValue(p, "AWSCURRENT");
      expect(now).not.toBe(OLD_SECRET);
      expect(world.hookSecret(HOOK)).toBe(now);
      p.account.clock.tick(61_000);
      expect(await deliver(p, now, `e000000${STEPS.indexOf(failing)}-0000-4000-8000-000000000001`)).toBe(202);
    });
  }

  it("fails testSecret with TestFailed when the hook reports no secret, and changes nothing", async () => {
    const p = await plane({ hookId: 5 });
    await startRotationByHand(p);
    await step(p, "createSecret");
    const out = await step(p, "testSecret");
    expect(out.error).toMatchObject({
      errorType: "TestFailed",
      errorMessage: expect.stringContaining("reports no secret"),
    });
    expect(world.hookSecret(UNSET_HOOK)).toBeUndefined();
    expect(await secretValue(p, "AWSCURRENT")).toBe(OLD_SECRET);
  });

  it("rejects an options block without the hook id, naming the field", () => {
    const { hookId: _omitted, ...options } = world.entry().options;
    expect(() =>
      parseConfig(example((raw) => ({ ...raw, secrets: [{ ...world.entry(), options }] }))),
    ).toThrow(/hookId/);
  });
});
