import { isDeepStrictEqual } from "node:util";
import { GetAliasCommand, UpdateAliasCommand, type UpdateAliasCommandInput } from "@aws-sdk/client-lambda";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { ControlPlane } from "../../packages/cli/src/local/control-plane.ts";
import type { OpsTarget } from "../../packages/cli/src/ops.ts";
import { executionOutcome } from "../../packages/cli/src/replay.ts";
import type { Config } from "../../packages/core/src/config/index.ts";
import { busEvent, example } from "./scenario.ts";

/**
 * Lets virtual time pass, one timer at a time, until the alias routes as `expected`: a deploy
 * waits for Lambda to apply its code (LastUpdateStatus InProgress for a few seconds) before it
 * publishes and shifts, as on AWS. Fails if the alias never gets there within `maxAdvances`.
 */
export async function untilAlias(
  plane: ControlPlane,
  alias: string,
  expected: { version: string; weights: Record<string, number> },
  maxAdvances = 20,
): Promise<void> {
  await plane.settle();
  for (let i = 0; !isDeepStrictEqual(plane.aliases()[alias], expected); i++) {
    if (i >= maxAdvances || !plane.account.clock.advance())
      throw new Error(
        `alias ${alias} never reached ${JSON.stringify(expected)}: ${JSON.stringify(plane.aliases()[alias])}`,
      );
    await plane.settle();
  }
}

/** The example's API deploy up to its canary: ECR's push and a clean scan arrive, and the alias serves version 2 at 10%. */
export async function canaryAt10Percent(plane: ControlPlane): Promise<void> {
  await plane.deliver(busEvent("aws/ecr/image-push.json"));
  await plane.deliver(busEvent("scenarios/image-scan-clean.json"));
  await untilAlias(plane, "api-handler:live", { version: "1", weights: { "2": 0.1 } });
}

/** The operations verbs' target: this control plane's context, not closed by the verb. */
export const opsTarget = (plane: ControlPlane): OpsTarget => ({
  deps: plane.context,
  where: "test",
  close: async () => undefined,
});

/**
 * The example config with its `worker` deployment started by GitHub events of
 * Codertocat/Hello-World (the @octokit/webhooks-examples repository), its image tag named by
 * the release or deployment: on the events `github` lists, or with `github` added to (or
 * overriding) the deployment's `github` section.
 */
export function githubWorker(
  github: readonly ("release" | "deployment")[] | Record<string, unknown> = {},
): Config {
  const extra = Array.isArray(github) ? { on: github } : github;
  return example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker"
        ? {
            ...d,
            image: { repository: "queue-worker" },
            github: { repository: "Codertocat/Hello-World", on: ["release", "deployment"], ...extra },
          }
        : d,
    ),
  }));
}

/**
 * A human updates `functionName`'s `live` alias by hand (the console's UpdateAlias), guarded by
 * the revision they read first.
 */
export async function updateAliasByHand(
  plane: ControlPlane,
  functionName: string,
  update: Pick<UpdateAliasCommandInput, "FunctionVersion" | "RoutingConfig">,
): Promise<void> {
  const now = await plane.clients.lambda.send(
    new GetAliasCommand({ FunctionName: functionName, Name: "live" }),
  );
  await plane.clients.lambda.send(
    new UpdateAliasCommand({
      FunctionName: functionName,
      Name: "live",
      ...update,
      RevisionId: now.RevisionId,
    }),
  );
}

/** A human moves the API alias by hand (the console's UpdateAlias): version 1, `weights` on others. */
export const moveAliasByHand = (plane: ControlPlane, weights: Record<string, number>): Promise<void> =>
  updateAliasByHand(plane, "api-handler", {
    FunctionVersion: "1",
    RoutingConfig: { AdditionalVersionWeights: weights },
  });

/**
 * Someone starts the deploy state machine again from the console ("New execution") as `name`
 * with `input` (an earlier execution's): how that execution ended once everything ran.
 */
export async function consoleReplayOutcome(
  plane: ControlPlane,
  name: string,
  input: string | undefined,
): Promise<string | undefined> {
  const out = await plane.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: plane.deployStateMachineArn, name, input }),
  );
  await plane.runOut();
  const replayed = plane.account.sfn.execution(String(out.executionArn));
  return replayed && executionOutcome(replayed);
}
