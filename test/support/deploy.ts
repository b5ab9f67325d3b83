import { isDeepStrictEqual } from "node:util";
import type { ControlPlane } from "../../packages/cli/src/local/control-plane.ts";
import type { Config } from "../../packages/core/src/config/index.ts";
import { example } from "./scenario.ts";

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

/**
 * The example config with its `worker` deployment started by GitHub events of
 * Codertocat/Hello-World (the @octokit/webhooks-examples repository), its image tag named by
 * the release or deployment; `github` adds to (or overrides) the deployment's `github` section.
 */
export function githubWorker(github: Record<string, unknown> = {}): Config {
  return example((raw) => ({
    ...raw,
    deployments: raw.deployments?.map((d) =>
      d.name === "worker"
        ? {
            ...d,
            image: { repository: "queue-worker" },
            github: { repository: "Codertocat/Hello-World", on: ["release", "deployment"], ...github },
          }
        : d,
    ),
  }));
}
