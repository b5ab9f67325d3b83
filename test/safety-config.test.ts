import { afterEach, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../packages/cli/src/local/control-plane.ts";
import { type Config, parseConfig } from "../packages/core/src/config/index.ts";
import { example, variant } from "./support/scenario.ts";

// Every field of the config's `safety` section must change what Switchyard does: issue #11
// found `safety.paused` parsed and never read. Each key below has a scenario run twice, with the
// default and with the field changed; the two runs must differ. A new safety field fails the
// first test until it has a scenario here.

const START = Date.parse("2019-11-16T01:54:34Z");
type Event = { id: string; detail: Record<string, unknown> };
const push = (id: string) =>
  variant<Event>("aws/ecr/image-push.json", (e) => {
    e.id = id;
  }) as never;
const cleanScan = () => variant<Event>("scenarios/image-scan-clean.json", () => undefined) as never;

let plane: ControlPlane | undefined;
afterEach(async () => {
  await plane?.close();
  plane = undefined;
});

/** What one run did: the trigger's outcome per push, and where the api alias ended. */
async function run(config: Config): Promise<string> {
  plane = await startControlPlane(config, { start: START });
  const first = await plane.deliver(push("push-1"));
  const second = await plane.deliver(push("push-2"));
  await plane.deliver(cleanScan());
  await plane.runOut();
  const outcomes = [first, second].map((d) =>
    String((d.outcomes[0]?.result as { outcome?: string } | undefined)?.outcome),
  );
  const alias = plane.aliases()["api-handler:live"];
  await plane.close();
  plane = undefined;
  return JSON.stringify({ outcomes, alias });
}

const withSafety = (safety: Record<string, unknown>) =>
  example((raw) => ({ ...raw, safety: { ...raw.safety, ...safety } }));

/** Per safety field: the config with that field changed from its default. */
const CHANGED: Record<string, () => Config> = {
  paused: () => withSafety({ paused: true }),
  dryRun: () => withSafety({ dryRun: true }),
  actionLimit: () => withSafety({ actionLimit: { max: 1, window: "1h" } }),
};

describe("every safety field of the config changes behaviour", () => {
  it("has a scenario for each field of the safety section", () => {
    expect(Object.keys(CHANGED).sort()).toEqual(Object.keys(parseConfig({}).safety).sort());
  });

  it.each(Object.keys(CHANGED))(
    "safety.%s, changed from its default, changes what happens",
    async (field) => {
      const baseline = await run(
        withSafety({ paused: false, dryRun: false, actionLimit: { max: 20, window: "1h" } }),
      );

      const changed = await run(CHANGED[field]?.() ?? example());

      expect(changed).not.toEqual(baseline);
    },
  );
});
