import { GetAliasCommand, GetFunctionCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import type { CoreDeps } from "../context.ts";
import { awsStep } from "../errors.ts";

/** An alias as Switchyard reasons about it: primary version, the one additional version and its weight. */
export interface AliasState {
  readonly version: string;
  readonly additional?: { version: string; weight: number };
  readonly revisionId: string;
}

export async function readAlias(deps: CoreDeps, functionName: string, alias: string): Promise<AliasState> {
  const out = await awsStep(`lambda:GetAlias ${functionName}:${alias}`, () =>
    deps.clients.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias })),
  );
  const [entry] = Object.entries(out.RoutingConfig?.AdditionalVersionWeights ?? {});
  return {
    version: String(out.FunctionVersion),
    ...(entry ? { additional: { version: entry[0], weight: entry[1] } } : {}),
    revisionId: String(out.RevisionId),
  };
}

/** Routes `weight` of the alias to `additional` (or none), guarded by the RevisionId just read. */
export async function writeAlias(
  deps: CoreDeps,
  target: { functionName: string; alias: string },
  state: { version: string; additional?: { version: string; weight: number } },
  revisionId: string,
): Promise<void> {
  await awsStep(`lambda:UpdateAlias ${target.functionName}:${target.alias}`, () =>
    deps.clients.lambda.send(
      new UpdateAliasCommand({
        FunctionName: target.functionName,
        Name: target.alias,
        FunctionVersion: state.version,
        RoutingConfig: {
          AdditionalVersionWeights: state.additional
            ? { [state.additional.version]: state.additional.weight }
            : {},
        },
        RevisionId: revisionId,
      }),
    ),
  );
}

/** The image digest (sha256:…) a published version runs, from its CodeSha256. */
export async function versionDigest(
  deps: CoreDeps,
  functionName: string,
  version: string,
): Promise<string | undefined> {
  const out = await awsStep(`lambda:GetFunction ${functionName}:${version}`, () =>
    deps.clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName, Qualifier: version })),
  );
  const sha = out.Configuration?.CodeSha256;
  return sha ? `sha256:${sha}` : undefined;
}

/** How every version Switchyard publishes for a deployment begins its description (the publish step). */
export const publishedBy = (deployment: string): string => `switchyard ${deployment}: `;

export function describeAlias(state: {
  version: string;
  additional?: { version: string; weight: number };
}): string {
  return state.additional
    ? `version ${state.version} with ${Math.round(state.additional.weight * 100)}% on version ${state.additional.version}`
    : `version ${state.version} (100%)`;
}
