import type { DevEndpoint } from "./client.ts";
import { followDev } from "./client.ts";
import type { DeploymentView, DevState } from "./view.ts";

/** Seconds as h:mm:ss. */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** "v1 90% / v2 10%" from the alias's last routing. */
export function routing(d: DeploymentView): string {
  const last = d.series.at(-1);
  if (!last) return d.serving;
  const extra = Object.entries(last.weights);
  const rest = 1 - extra.reduce((sum, [, w]) => sum + w, 0);
  return [
    `v${last.version} ${Math.round(rest * 100)}%`,
    ...extra.map(([v, w]) => `v${v} ${Math.round(w * 100)}%`),
  ].join(" / ");
}

/** One deployment in one line: what changes (routing, step, alarms, status) and the bake left at `now`. */
export function watchLine(d: DeploymentView, now: number): { key: string; line: string } {
  const step = d.step ? `step ${d.step.index}/${d.step.of} (${d.step.percent}%)` : "";
  const status = d.record
    ? `${d.record.status} v${d.record.stableVersion}→v${d.record.newVersion || "?"}`
    : "idle";
  const alarms = d.alarms.map((a) => `${a.name}=${a.state}`).join(",") || "no alarms";
  const key = [d.name.padEnd(12), routing(d).padEnd(18), status.padEnd(22), step, `alarms ${alarms}`]
    .filter(Boolean)
    .join("  ");
  const bake = d.step?.bakeUntil !== undefined ? `  bake left ${hms((d.step.bakeUntil - now) / 1000)}` : "";
  return { key, line: `${key}${bake}` };
}

/**
 * `switchyard status [DEPLOYMENT] --watch`: on a terminal, the deployments' lines redrawn in
 * place (the bake counting down each second); piped, one timestamped line per change.
 */
export async function watchStatus(
  dev: DevEndpoint,
  only: string | undefined,
  out: NodeJS.WriteStream,
  signal: AbortSignal,
): Promise<void> {
  const tty = out.isTTY === true;
  let state: DevState | undefined;
  let clock = { now: 0, at: Date.now(), speed: 1 };
  let drawn = 0;
  const printed = new Map<string, string>();
  const now = () => clock.now + (Date.now() - clock.at) * clock.speed;
  const draw = () => {
    if (!state) return;
    const deployments = state.deployments.filter((d) => !only || d.name === only);
    if (tty) {
      const lines = [
        `switchyard dev ${new Date(now()).toISOString().replace(/\.\d+Z$/, "Z")} (×${clock.speed})${state.killSwitch.paused ? "  AUTOMATION PAUSED" : ""}`,
        ...deployments.map((d) => watchLine(d, now()).line),
      ];
      out.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ""}${lines.join("\n")}\n`);
      drawn = lines.length;
      return;
    }
    for (const d of deployments) {
      const { key, line } = watchLine(d, now());
      if (printed.get(d.name) === key) continue;
      printed.set(d.name, key);
      out.write(`${new Date(state.now).toISOString()}  ${line}\n`);
    }
  };
  await followDev(
    dev,
    {
      onState: (s) => {
        state = s as DevState;
        clock = { now: state.now, at: Date.now(), speed: state.speed };
        draw();
      },
      onClock: (c) => {
        clock = { now: c.now, at: Date.now(), speed: c.speed };
        if (tty) draw();
      },
    },
    signal,
  );
}
