import type { Config } from "@switchyard/core/config/index";
import { readAlias } from "@switchyard/core/deployments/alias";
import { type Machines, takeAction } from "../dev/actions.ts";
import type { AliasPoint } from "../dev/engine.ts";
import { type DevServer, serveDashboard } from "../dev/server.ts";
import { type DevState, readState } from "../dev/view.ts";
import type { OpsTarget } from "../ops.ts";

export interface AwsDashboardOptions {
  readonly port: number;
  /** Without it the dashboard only reads: its buttons are disabled and the API refuses every POST. */
  readonly allowActions: boolean;
  /** Who acts when the page names nobody (the user who runs the command). */
  readonly operator: string;
  /** The state machines that failover and failback actions start. */
  readonly machines: Machines;
  /** How often the account is read again (default 5 s); an action reads it at once. */
  readonly pollMs?: number;
  readonly log: (line: string) => void;
}

/** The one line a read-only dashboard answers a POST with, and its buttons' tooltip. */
export const READ_ONLY =
  "read-only: this dashboard reads a real AWS account; restart it with `switchyard ui --aws --allow-actions` to act";

/**
 * `switchyard ui --aws`: the dashboard over a real account. It reads what `status --aws` and
 * `history --aws` read (aliases, alarms, the state table, Secrets Manager) every few seconds and
 * keeps the alias routing it has seen as the chart's series; with `allowActions` the page's
 * buttons take the operations verbs' actions on the account. The first read happens before the
 * server listens, so missing credentials or a missing stack fail the command, in one line.
 */
export async function serveAwsDashboard(
  config: Config,
  target: OpsTarget,
  options: AwsDashboardOptions,
): Promise<DevServer & { readonly state: DevState }> {
  const series = new Map<string, AliasPoint[]>();
  const listeners = new Set<() => void>();
  const account = {
    where: target.where,
    actions: options.allowActions,
    ...(options.allowActions ? {} : { readOnly: READ_ONLY }),
  };

  /** Adds a point to each deployment's series whose alias routes differently from its last point. */
  const sample = async (now: number) => {
    for (const d of config.deployments) {
      const alias = await readAlias(target.deps, d.function, d.alias);
      const weights = alias.additional ? { [alias.additional.version]: alias.additional.weight } : {};
      const points = series.get(d.name) ?? [];
      const last = points.at(-1);
      if (last && last.version === alias.version && JSON.stringify(last.weights) === JSON.stringify(weights))
        continue;
      points.push({ at: now, version: alias.version, weights });
      series.set(d.name, points);
    }
  };
  const read = async (): Promise<DevState> => {
    const now = Date.now();
    await sample(now);
    return readState(config, target.deps, {
      now,
      speed: 1,
      series: (name) => series.get(name) ?? [],
      account,
    });
  };
  const state = await read();

  const dashboard = await serveDashboard(
    {
      state: read,
      clock: () => ({ now: Date.now(), speed: 1 }),
      onChange: (listener) => listeners.add(listener),
      async act(action) {
        const result = await takeAction(config, target, options.machines, action);
        for (const listener of listeners) listener();
        return result;
      },
      ...(options.allowActions ? {} : { refuse: READ_ONLY }),
    },
    { port: options.port, operator: options.operator, log: options.log },
  );
  const poll = setInterval(() => {
    for (const listener of listeners) listener();
  }, options.pollMs ?? 5000);
  return {
    ...dashboard,
    state,
    async close() {
      clearInterval(poll);
      await dashboard.close();
    },
  };
}
