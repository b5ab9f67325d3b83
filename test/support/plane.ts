import { test as base } from "vitest";
import {
  type ControlPlane,
  type ControlPlaneOptions,
  startControlPlane,
} from "../../packages/cli/src/local/control-plane.ts";
import type { Config } from "../../packages/core/src/config/index.ts";
import { example } from "./scenario.ts";

/** The AWS sample events' time (the ECR push, 2019-11-16T01:54:34Z): the virtual clock starts there. */
export const START = Date.parse("2019-11-16T01:54:34Z");

/**
 * `it` with a local control plane on the simulated account, closed after the test:
 * - `config`: the config the test runs (the example config; `test.override("config", ...)` in a
 *   describe block changes it for the block);
 * - `plane`: a control plane on `config`, its clock at START;
 * - `startPlane(config?, options?)`: starts another (another config, clock or webhook secret;
 *   `start: undefined` keeps the simulated account's own starting instant).
 */
export const it = base
  .extend("config", (): Config => example())
  .extend("startPlane", ({ config }, { onCleanup }) => {
    const started: ControlPlane[] = [];
    onCleanup(async () => {
      for (const plane of started) await plane.close();
    });
    return async (planeConfig: Config = config, options: ControlPlaneOptions = {}): Promise<ControlPlane> => {
      const plane = await startControlPlane(planeConfig, { start: START, ...options });
      started.push(plane);
      return plane;
    };
  })
  .extend("plane", ({ startPlane }) => startPlane());
