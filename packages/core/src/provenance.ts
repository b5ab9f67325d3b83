import type { Config } from "./config/index.ts";
import type { BusEvent } from "./events/envelope.ts";
import {
  type ArtifactWatermark,
  advanceArtifactWatermark,
  recordAudit,
  type StateStore,
} from "./store/state.ts";

/**
 * Provenance: Switchyard acts only for the accounts and regions its config names, writes only
 * what its config and AWS reads name, and orders events by their source's own time, not by
 * arrival (docs/decisions/0013-provenance-and-ordering.md).
 */

/**
 * Why an event from the bus is not one Switchyard acts on, or undefined when it is: its `account`
 * and `region` must be among the config's `provenance` (the stack's own by default). EventBridge
 * sets both on every event; one without them cannot be placed, so it is refused too.
 */
export function foreignEvent(
  config: Pick<Config, "provenance">,
  event: Pick<BusEvent, "id" | "account" | "region">,
): string | undefined {
  const { accounts, regions } = config.provenance;
  const show = (value: string | undefined) =>
    value === undefined ? "none" : JSON.stringify(value.slice(0, 64));
  if (event.account === undefined || !accounts.includes(event.account)) {
    return (
      `event ${event.id.slice(0, 128)} is from account ${show(event.account)}, which Switchyard does not act for ` +
      `(provenance.accounts: ${accounts.join(", ")}); add the account to provenance.accounts if it should`
    );
  }
  if (event.region === undefined || !regions.includes(event.region)) {
    return (
      `event ${event.id.slice(0, 128)} is from region ${show(event.region)}, where Switchyard does not act ` +
      `(provenance.regions: ${regions.join(", ")}); add the region to provenance.regions if it should`
    );
  }
  return undefined;
}

/**
 * The registry a deployment's images come from: the config's account and region, the registry
 * Lambda pulls from in the function's region. Never an event's `account` or `region`.
 */
export function imageRegistry(config: Pick<Config, "account" | "region">): {
  registry: string;
  region: string;
} {
  return { registry: config.account, region: config.region };
}

/** A GitHub artifact event's identity and its time by GitHub's clock: what orders it against others. */
export interface GithubArtifact {
  readonly kind: "release" | "deployment";
  readonly id: number;
  readonly at: string;
  readonly label: string;
}

/**
 * The release or deployment a GitHub event carries, with its time on GitHub: a release's
 * `published_at` (else `created_at`), a deployment's `created_at`. Undefined for other events, or
 * when GitHub's payload lacks a usable time.
 */
export function githubArtifact(
  githubEvent: string,
  detail: Record<string, unknown>,
): GithubArtifact | undefined {
  const field =
    githubEvent === "release" ? detail.release : githubEvent === "deployment" ? detail.deployment : undefined;
  if (typeof field !== "object" || field === null) return undefined;
  const item = field as Record<string, unknown>;
  const time = githubEvent === "release" ? (item.published_at ?? item.created_at) : item.created_at;
  const at = typeof time === "string" ? Date.parse(time) : Number.NaN;
  if (typeof item.id !== "number" || !Number.isFinite(at)) return undefined;
  const name = githubEvent === "release" ? item.tag_name : item.sha;
  return {
    kind: githubEvent,
    id: item.id,
    at: new Date(at).toISOString(),
    label: `${githubEvent} ${String(name ?? item.id).slice(0, 128)}`,
  } as GithubArtifact;
}

/**
 * No downgrade by event: a GitHub release or deployment older (by GitHub's time) than the one the
 * deployment last took is refused and audited; going back is an operator's rollback. Otherwise the
 * artifact becomes the deployment's newest (one conditional write, so concurrent deliveries of an
 * older and a newer event cannot both pass). Returns the refusal's reason, or undefined to go on.
 */
export async function refuseDowngrade(
  deps: { readonly store: StateStore },
  deployment: string,
  githubEvent: string,
  event: BusEvent<Record<string, unknown>>,
): Promise<string | undefined> {
  const artifact = githubArtifact(githubEvent, event.detail);
  let reason: string;
  let newest: ArtifactWatermark | undefined;
  if (artifact === undefined) {
    reason = `GitHub ${githubEvent} event ${event.id} carries no id or time of its ${githubEvent}: it cannot be ordered against what ${deployment} took, so it does not deploy`;
  } else {
    newest = await advanceArtifactWatermark(deps.store, deployment, {
      kind: artifact.kind,
      id: artifact.id,
      at: artifact.at,
      label: artifact.label,
      eventId: event.id,
    });
    if (newest === undefined) return undefined;
    reason =
      `${artifact.label} (${artifact.at}) is older than ${newest.label} (${newest.at}), which ${deployment} already took: ` +
      `an event never moves a deployment back; roll back on purpose with the switchyard rollback verb`;
  }
  await recordAudit(deps.store, {
    reaction: "deploy",
    decision: "refused",
    reason,
    subject: deployment,
    eventId: event.id,
    correlationId: event.id,
    details: { refused: artifact ?? null, newest: newest ?? null },
  });
  return reason;
}
