import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import type { Deployment } from "../config/index.ts";
import type { CoreDeps } from "../context.ts";
import { awsStep, ErrorNames } from "../errors.ts";
import { imageRegistry } from "../provenance.ts";
import { getScanResult, pinDeployment, readDeployment, recordAudit } from "../store/state.ts";
import { describeAlias, publishedBy, readAlias, writeAlias } from "./alias.ts";
import { judgeScan } from "./scan-gate.ts";

/** What `switchyard rollback DEPLOYMENT --to VERSION` did, or why it refused (nothing changed then). */
export type RollbackToResult =
  | { outcome: "rolled-back" | "already-on-version"; detail: string; version: string; generation: number }
  | { outcome: "stale"; detail: string; version: string; generation: number }
  | { outcome: "refused"; detail: string };

/**
 * Going back to an older version is an operator's decision, never an event's (issue #11, "No
 * downgrade by event"; ADR 0020). Allowed: a version Switchyard published for this deployment
 * (its description says so) or the version the record names as stable, whose image no newest
 * scan blocks. The record's generation advances before the alias moves (every execution that
 * read it is stale), then the alias goes to 100% on VERSION under the RevisionId read first;
 * the record is settled with VERSION as stable and the audit says who and why.
 */
export async function rollBackTo(
  deps: CoreDeps,
  deployment: Pick<Deployment, "name" | "function" | "alias" | "image" | "gates">,
  where: { account: string; region: string },
  version: string,
  why: { reason: string; by: string },
): Promise<RollbackToResult> {
  const refuse = (detail: string): RollbackToResult => ({ outcome: "refused", detail });
  const { name } = deployment;
  const target = { functionName: deployment.function, alias: deployment.alias };
  if (!/^[1-9]\d*$/.test(version))
    return refuse(`--to must be a published version number (e.g. --to 3), not "${version}"`);
  const [record, alias] = await Promise.all([
    readDeployment(deps.store, name),
    readAlias(deps, deployment.function, deployment.alias),
  ]);
  if (record?.status === "shifting")
    return refuse(
      `deployment "${name}" is shifting (execution ${record.executionArn.split(":").at(-1)}): run \`switchyard abandon ${name}\` or \`switchyard rollback ${name}\` first, then --to`,
    );
  let published: { Description?: string; CodeSha256?: string };
  try {
    // https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html: a
    // qualified read of one published version; ResourceNotFoundException when it does not exist.
    published = await awsStep(`lambda:GetFunctionConfiguration ${deployment.function}:${version}`, () =>
      deps.clients.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: deployment.function, Qualifier: version }),
      ),
    );
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
    return refuse(
      `version ${version} of ${deployment.function} does not exist: run \`switchyard status\` for the versions the alias served, or \`switchyard history\``,
    );
  }
  const ours = (published.Description ?? "").startsWith(publishedBy(name));
  const stable = record?.stableVersion === version;
  if (!ours && !stable)
    return refuse(
      `version ${version} of ${deployment.function} was not published by Switchyard for "${name}"${record ? ` and is not its recorded stable version ${record.stableVersion}` : ""}: --to takes only those (ADR 0020)`,
    );
  const digest = published.CodeSha256 ? `sha256:${published.CodeSha256}` : undefined;
  const gate = deployment.gates.scan;
  if (gate && digest && deployment.image) {
    const { registry, region } = imageRegistry(where);
    const scan = await getScanResult(deps.store, {
      account: registry,
      region,
      repository: deployment.image.repository,
      digest,
    });
    const judged = scan ? judgeScan(scan, gate.threshold) : undefined;
    if (judged?.decision === "blocked")
      return refuse(
        `version ${version} runs ${digest}, which its newest scan blocks (${judged.reason}): a newer clean scan of the image lifts the block`,
      );
  }
  const seen = record?.generation ?? 0;
  const already = alias.version === version && !alias.additional;
  const said = `rolled back to version ${version} by ${why.by}: ${why.reason}`;
  const pin = await pinDeployment(deps.store, name, seen, {
    functionName: deployment.function,
    alias: deployment.alias,
    stableVersion: version,
    reason: said,
  });
  if (!pin.pinned)
    return refuse(
      `deployment "${name}" changed while it was read (generation ${seen}): run \`switchyard status\` and decide again`,
    );
  const generation = seen + 1;
  const dropped = pin.dropped
    ? `; the queued push of ${String(pin.dropped.input.imageUri)} (since ${pin.dropped.queuedAt}) was dropped: push it again to deploy it`
    : "";
  if (!already) {
    try {
      await writeAlias(deps, target, { version }, alias.revisionId);
    } catch (error) {
      if ((error as Error).name !== ErrorNames.PreconditionFailed) throw error;
      const detail = `alias ${target.functionName}:${target.alias} changed after it was read (${describeAlias(alias)}): it was left as it is, and "${name}" is fenced at generation ${generation}; run \`switchyard status\`, then --to again`;
      await audit(deps, name, "stale", `${why.by}: ${why.reason}; ${detail}`, { version });
      return { outcome: "stale", detail, version, generation };
    }
  }
  const detail = already
    ? `alias ${target.functionName}:${target.alias} already serves version ${version} (100%); the record now names it stable${dropped}`
    : `alias ${target.functionName}:${target.alias} on version ${version} (100%), was ${describeAlias(alias)}${dropped}`;
  await audit(deps, name, "rolled-back-to", `${why.by}: ${why.reason}; ${detail}`, {
    version,
    was: describeAlias(alias),
    generation,
  });
  return { outcome: already ? "already-on-version" : "rolled-back", detail, version, generation };
}

const audit = (
  deps: CoreDeps,
  subject: string,
  decision: string,
  reason: string,
  details: Record<string, unknown>,
) => recordAudit(deps.store, { reaction: "operator", decision, reason, subject, details });
