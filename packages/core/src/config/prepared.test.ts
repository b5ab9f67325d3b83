import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzRuns } from "../../../../test/support/fuzz.ts";
import { fleet } from "./fleet.ts";
import { loadConfig } from "./load.ts";
import { configIndex } from "./lookup.ts";
import { parseConfig } from "./parse.ts";
import {
  isPreparedConfig,
  PREPARE_COMMAND,
  PREPARED_CONFIG_FORMAT,
  prepareConfig,
  readPreparedConfig,
} from "./prepared.ts";
import type { Config } from "./schema.ts";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const examples = readdirSync(`${repoRoot}examples`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** What a function does with the file the stack bundles. */
function roundTrip(config: Config): Config {
  const raw: unknown = JSON.parse(prepareConfig(config));
  if (!isPreparedConfig(raw)) throw new Error("prepareConfig wrote a file isPreparedConfig does not know");
  return readPreparedConfig(raw, "switchyard.config.json");
}

describe("the prepared config the stack bundles", () => {
  it.each(["switchyard.config.ts", ...examples.map((name) => `examples/${name}/switchyard.config.ts`)])(
    "reads %s back exactly as parseConfig returned it (no value lost or changed by JSON)",
    async (path) => {
      const config = await loadConfig(`${repoRoot}${path}`);

      expect(roundTrip(config)).toStrictEqual(config);
    },
  );

  it("reads a fleet of 500 back exactly, with its lookup index built", () => {
    const config = parseConfig(fleet(500));

    const read = roundTrip(config);

    expect(read).toStrictEqual(config);
    expect(
      configIndex(read)
        .guardedBy("svc-499-latency")
        .map((d) => d.name),
    ).toEqual(["svc-499"]);
  });

  it("is not taken for a config as written, which the function refuses (runtime.ts)", () => {
    expect(isPreparedConfig(fleet(1))).toBe(false);
    expect(isPreparedConfig({ ...fleet(1), format: 1 })).toBe(false);
    expect(isPreparedConfig(null)).toBe(false);
  });

  it("refuses another format, naming both and the fix", () => {
    const raw = {
      ...JSON.parse(prepareConfig(parseConfig(fleet(1)))),
      format: "switchyard.prepared-config/2",
    };

    expect(() => readPreparedConfig(raw, "f.json")).toThrow(
      `f.json is a prepared config of format "switchyard.prepared-config/2", but this function reads "${PREPARED_CONFIG_FORMAT}": ` +
        "the file and the function come from different Switchyard versions; deploy again with the stack, which writes it",
    );
  });

  it("refuses a file without its config or digest", () => {
    expect(() => readPreparedConfig({ format: PREPARED_CONFIG_FORMAT }, "f.json")).toThrow(
      /^f\.json is a prepared config without its "config" object or "sha256"/,
    );
  });

  it("refuses any change to the config after it was prepared: a value, a key, or a reorder", () => {
    const file = JSON.parse(prepareConfig(parseConfig(fleet(2))));
    const edits: ((config: Record<string, unknown>) => void)[] = [
      (c) => {
        (c.deployments as { alarms: string[] }[])[1]?.alarms.pop();
      },
      (c) => {
        c.extra = true;
      },
      (c) => {
        (c.deployments as unknown[]).reverse();
      },
    ];
    for (const edit of edits) {
      const copy = structuredClone(file);
      edit(copy.config);

      expect(() => readPreparedConfig(copy, "f.json")).toThrow(
        /^f\.json was changed after the stack prepared it/,
      );
    }
    // The fix it names is one that works: a function refuses a config as written.
    expect(() => readPreparedConfig({ ...file, config: {} }, "f.json")).toThrow(PREPARE_COMMAND);
  });

  it("refuses every one-character edit of the config that still reads as JSON and changes it (property)", () => {
    const file = prepareConfig(parseConfig(fleet(3)));
    const original = JSON.parse(file);
    const start = file.indexOf('"config":') + '"config":'.length;
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
    let refused = 0;

    fc.assert(
      fc.property(fc.integer({ min: start, max: file.length - 2 }), printable, (at, char) => {
        const edited = `${file.slice(0, at)}${char}${file.slice(at + 1)}`;
        let raw: unknown;
        try {
          raw = JSON.parse(edited);
        } catch {
          return; // not JSON: the function says so before it looks for a digest
        }
        const changed =
          JSON.stringify((raw as { config?: unknown }).config) !== JSON.stringify(original.config);
        if (!changed || !isPreparedConfig(raw)) return;
        expect(() => readPreparedConfig(raw, "f.json")).toThrow(
          /^f\.json was changed after the stack prepared it/,
        );
        refused++;
      }),
      { seed: 20_261_130, numRuns: fuzzRuns(2_000) },
    );
    // Most edits land inside a string (names, ARNs) and still parse: the property was exercised.
    expect(refused).toBeGreaterThan(100);
  });
});
