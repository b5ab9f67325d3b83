import {
  GetRandomPasswordCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import { rotationWorld } from "./support/rotation.ts";

const NAME = "prod/podinfo/api";
const TOKEN_A = "11111111-2222-4333-8444-555555555555";
const TOKEN_B = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
// Invented secret values: no public sample of an API key secret exists.
const API_SECRET = JSON.stringify({ apiKey: "initial-key-0000000000000000000000000000", owner: "podinfo" });

function world(options: Record<string, unknown> = { field: "apiKey" }) {
  const w = rotationWorld([{ name: "podinfo-api", secretId: NAME, rotator: "random", options }]);
  const arn = w.account.secrets.seedSecret(NAME, API_SECRET);
  return { ...w, arn };
}

/** A version TOKEN_A ("x") staged AWSPENDING, by hand. */
const putPending = (w: ReturnType<typeof world>) =>
  w.clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: NAME,
      ClientRequestToken: TOKEN_A,
      SecretString: "x",
      VersionStages: ["AWSPENDING"],
    }),
  );

const only = (stages: Record<string, string[]>, label: string) =>
  Object.entries(stages)
    .filter(([, s]) => s.includes(label))
    .map(([id]) => id);

describe("Secrets Manager in the simulated account", () => {
  it("treats the same token with the same value as a no-op and with another value as ResourceExistsException", async () => {
    const w = world();
    const put = (value: string) =>
      w.clients.secrets.send(
        new PutSecretValueCommand({ SecretId: NAME, ClientRequestToken: TOKEN_A, SecretString: value }),
      );
    await put("v2");
    await put("v2");
    await expect(put("v3")).rejects.toMatchObject({ name: "ResourceExistsException" });
    expect(only(await w.stages(NAME), "AWSCURRENT")).toEqual([TOKEN_A]);
  });

  it("moves AWSPREVIOUS to the old current version when AWSCURRENT moves", async () => {
    const w = world();
    const before = only(await w.stages(NAME), "AWSCURRENT")[0];
    await putPending(w);
    await w.clients.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: NAME,
        VersionStage: "AWSCURRENT",
        MoveToVersionId: TOKEN_A,
        RemoveFromVersionId: before,
      }),
    );
    const stages = await w.stages(NAME);
    expect(stages[TOKEN_A]).toEqual(expect.arrayContaining(["AWSCURRENT", "AWSPENDING"]));
    expect(stages[before ?? ""]).toEqual(["AWSPREVIOUS"]);
  });

  it("refuses to move a label without naming the version that holds it", async () => {
    const w = world();
    await putPending(w);
    await expect(
      w.clients.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: NAME,
          VersionStage: "AWSCURRENT",
          MoveToVersionId: TOKEN_A,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("generates passwords that honour GetRandomPassword's options", async () => {
    const w = world();
    const out = await w.clients.secrets.send(
      new GetRandomPasswordCommand({
        PasswordLength: 64,
        ExcludePunctuation: true,
        ExcludeUppercase: true,
        ExcludeCharacters: "abc",
      }),
    );
    expect(out.RandomPassword).toMatch(/^[d-z0-9]{64}$/);
    expect(out.RandomPassword).toMatch(/[0-9]/);
  });

  it("rejects GetRandomPassword options that leave no character to choose", async () => {
    const w = world();
    await expect(
      w.clients.secrets.send(
        new GetRandomPasswordCommand({
          ExcludePunctuation: true,
          ExcludeUppercase: true,
          ExcludeLowercase: true,
          ExcludeNumbers: true,
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});

describe("rotation with the random rotator", () => {
  it("rotates one field of a JSON secret through the four steps and keeps the other fields", async () => {
    const w = world();
    const before = JSON.parse(await w.value(NAME));
    await w.rotate(NAME, TOKEN_A);
    const after = JSON.parse(await w.value(NAME));
    expect(w.account.secrets.rotations.at(-1)).toMatchObject({
      steps: ["createSecret", "setSecret", "testSecret", "finishSecret"],
    });
    expect(w.account.secrets.rotations.at(-1)?.error).toBeUndefined();
    expect(after.owner).toBe("podinfo");
    expect(after.apiKey).toHaveLength(40);
    expect(after.apiKey).not.toBe(before.apiKey);
    expect(JSON.parse(await w.value(NAME, "AWSPREVIOUS")).apiKey).toBe(before.apiKey);
  });

  it("schedules the next rotation from the rotation rules", async () => {
    const w = world();
    await w.rotate(NAME, TOKEN_A);
    const { DescribeSecretCommand } = await import("@aws-sdk/client-secrets-manager");
    const d = await w.clients.secrets.send(new DescribeSecretCommand({ SecretId: NAME }));
    expect(d.RotationEnabled).toBe(true);
    expect((d.NextRotationDate?.getTime() ?? 0) - (d.LastRotatedDate?.getTime() ?? 0)).toBe(7 * 86_400_000);
  });

  it("lets every step run twice with the same outcome", async () => {
    const w = world();
    await w.rotate(NAME, TOKEN_A);
    const value = await w.value(NAME);
    for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
      const again = await w.invoke({ Step, SecretId: w.arn, ClientRequestToken: TOKEN_A });
      expect(again.error).toBeUndefined();
    }
    expect(await w.value(NAME)).toBe(value);
    expect(only(await w.stages(NAME), "AWSCURRENT")).toEqual([TOKEN_A]);
  });

  it("runs each step twice in a row during a rotation and ends with one new current version", async () => {
    const w = world();
    // A rotation function that does nothing: RotateSecret stages the version AWSPENDING, the test runs the steps.
    w.account.lambda.registerHandler("idle-rotation", async () => null);
    const { RotateSecretCommand } = await import("@aws-sdk/client-secrets-manager");
    await w.clients.secrets.send(
      new RotateSecretCommand({
        SecretId: NAME,
        ClientRequestToken: TOKEN_A,
        RotationLambdaARN: w.account.lambda.functionArn("idle-rotation"),
      }),
    );
    const outcomes: unknown[] = [];
    for (const Step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
      for (let i = 0; i < 2; i++) {
        const out = await w.invoke({ Step, SecretId: w.arn, ClientRequestToken: TOKEN_A });
        outcomes.push(out.error ?? (out.result as { outcome: string }).outcome);
      }
    }
    expect(outcomes).toEqual(["done", "already", "done", "done", "done", "done", "done", "current"]);
    const stages = await w.stages(NAME);
    expect(Object.keys(stages)).toHaveLength(2);
    expect(only(stages, "AWSCURRENT")).toEqual([TOKEN_A]);
  });

  for (const step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
    it(`leaves consistent stages when ${step} fails, and a retry completes the rotation`, async () => {
      const w = world();
      const original = await w.value(NAME);
      const action =
        {
          createSecret: "PutSecretValue",
          setSecret: "GetSecretValue",
          testSecret: "GetSecretValue",
          finishSecret: "UpdateSecretVersionStage",
        }[step] ?? "";
      let seen = 0;
      const skip = { createSecret: 0, setSecret: 2, testSecret: 4, finishSecret: 0 }[step] ?? 0;
      w.account.injectFault({
        service: "secretsmanager",
        action,
        error: "InternalServiceError",
        when: () => seen++ === skip,
        times: 1,
      });
      await w.rotate(NAME, TOKEN_A);
      expect(w.account.secrets.rotations.at(-1)?.error?.step).toBe(step);
      const stuck = await w.stages(NAME);
      expect(await w.value(NAME)).toBe(original);
      expect(only(stuck, "AWSPENDING")).toEqual([TOKEN_A]);
      expect(only(stuck, "AWSCURRENT")).not.toContain(TOKEN_A);
      await w.rotate(NAME, TOKEN_A);
      const stages = await w.stages(NAME);
      expect(only(stages, "AWSCURRENT")).toEqual([TOKEN_A]);
      expect(only(stages, "AWSPREVIOUS")).toHaveLength(1);
      expect(JSON.parse(await w.value(NAME)).apiKey).not.toBe(JSON.parse(original).apiKey);
    });
  }

  it("refuses a second rotation while another is pending", async () => {
    const w = world();
    await w.rotateStuck(NAME, TOKEN_A);
    await expect(w.rotate(NAME, TOKEN_B)).rejects.toMatchObject({
      name: "InvalidRequestException",
      message: expect.stringContaining("previous rotation isn't complete"),
    });
    expect(only(await w.stages(NAME), "AWSPENDING")).toEqual([TOKEN_A]);
  });

  it("rotates a plain-string token when no field is configured", async () => {
    const w = rotationWorld([
      { name: "token", secretId: "ci/token", rotator: "random", options: { length: 20 } },
    ]);
    w.account.secrets.seedSecret("ci/token", "plain-initial-token");
    await w.rotate("ci/token", TOKEN_A);
    expect(await w.value("ci/token")).toMatch(/^[A-Za-z0-9]{20}$/);
  });
});

describe("rotation errors change nothing", () => {
  const cases: {
    name: string;
    payload: (arn: string) => unknown;
    error: string;
    message: RegExp;
    enable?: boolean;
  }[] = [
    {
      name: "a secret that is not rotation-enabled",
      enable: false,
      payload: (arn) => ({ Step: "createSecret", SecretId: arn, ClientRequestToken: TOKEN_A }),
      error: "NotRotationEnabled",
      message: /not enabled for rotation/,
    },
    {
      name: "a token that names no version",
      payload: (arn) => ({ Step: "createSecret", SecretId: arn, ClientRequestToken: TOKEN_B }),
      error: "TokenNotPending",
      message: /has no version/,
    },
    {
      name: "an unknown step",
      payload: (arn) => ({ Step: "deleteSecret", SecretId: arn, ClientRequestToken: TOKEN_A }),
      error: "UnknownStep",
      message: /createSecret, setSecret, testSecret, finishSecret/,
    },
    {
      name: "an invocation without SecretId",
      payload: () => ({ Step: "createSecret", ClientRequestToken: TOKEN_A }),
      error: "InvalidInvocation",
      message: /SecretId/,
    },
    {
      name: "an invocation whose token is not a version id",
      payload: (arn) => ({ Step: "createSecret", SecretId: arn, ClientRequestToken: "x" }),
      error: "InvalidInvocation",
      message: /ClientRequestToken/,
    },
    {
      name: "an invocation that is not an object",
      payload: () => "createSecret",
      error: "InvalidInvocation",
      message: /rotation invocation/,
    },
    {
      name: "a secret that does not exist",
      payload: () => ({ Step: "createSecret", SecretId: "nope", ClientRequestToken: TOKEN_A }),
      error: "ResourceNotFoundException",
      message: /can't find/,
    },
  ];
  for (const c of cases) {
    it(`fails on ${c.name} with ${c.error}`, async () => {
      const w = world();
      if (c.enable !== false) {
        await w.enable(NAME);
        await w.clients.secrets.send(
          new PutSecretValueCommand({
            SecretId: NAME,
            ClientRequestToken: TOKEN_A,
            SecretString: "{}",
            VersionStages: ["AWSPENDING"],
          }),
        );
      }
      const before = await w.stages(NAME);
      const writes = () =>
        w.account.calls.filter((call) => ["PutSecretValue", "UpdateSecretVersionStage"].includes(call.action))
          .length;
      const writesBefore = writes();
      const out = await w.invoke(c.payload(w.arn));
      expect(out.error?.errorType).toBe(c.error);
      expect(out.error?.errorMessage).toMatch(c.message);
      expect(await w.stages(NAME)).toEqual(before);
      expect(writes()).toBe(writesBefore);
    });
  }

  const malformed: { name: string; value: string; message: RegExp }[] = [
    { name: "not JSON", value: "not-json", message: /not JSON/ },
    { name: "missing the field", value: JSON.stringify({ owner: "x" }), message: /apiKey: missing/ },
    {
      name: "the field with the wrong type",
      value: JSON.stringify({ apiKey: 42 }),
      message: /apiKey: must be a string, got number/,
    },
  ];
  for (const m of malformed) {
    it(`fails createSecret with InvalidSecret on a secret ${m.name}, and stages nothing`, async () => {
      const w = rotationWorld([
        { name: "podinfo-api", secretId: NAME, rotator: "random", options: { field: "apiKey" } },
      ]);
      const arn = w.account.secrets.seedSecret(NAME, m.value);
      await w.rotate(NAME, TOKEN_A);
      expect(w.account.secrets.rotations.at(-1)?.error).toMatchObject({
        step: "createSecret",
        errorType: "InvalidSecret",
        errorMessage: expect.stringMatching(m.message),
      });
      expect(await w.value(NAME)).toBe(m.value);
      expect(w.account.callsOf({ action: "PutSecretValue" })).toEqual([]);
      expect(arn).toContain(NAME);
    });
  }
});
