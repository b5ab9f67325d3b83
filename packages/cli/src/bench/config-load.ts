import { performance } from "node:perf_hooks";
import { fleet } from "@switchyard/core/config/fleet";
import { parseConfig } from "@switchyard/core/config/index";
import { isPreparedConfig, prepareConfig, readPreparedConfig } from "@switchyard/core/config/prepared";
import { median, round } from "./stats.ts";

export interface ConfigLoad {
  /**
   * Per config size: the median time from the file's text to a config a function can use — the
   * prepared file the stack bundles (`JSON.parse` and the digest check), and, for comparison, the
   * config as written parsed with zod (what every function did before ADR 0033). Both are timed
   * warm, after a first run of each: on a cold container the zod parse costs more still, since its
   * schemas are built and compiled then.
   */
  sizes: { deployments: number; bytes: number; preparedMs: number; parsedMs: number; ratio: number }[];
}

const SIZES = [1, 500, 2_000] as const;

/** Times loading the prepared and the written config of `fleet(n)`, `runs` times each, alternately. */
export function measureConfigLoad(runs: number): ConfigLoad {
  return {
    sizes: SIZES.map((deployments) => {
      const written = JSON.stringify(fleet(deployments));
      const prepared = prepareConfig(parseConfig(fleet(deployments)));
      const preparedMs: number[] = [];
      const parsedMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        let start = performance.now();
        const raw: unknown = JSON.parse(prepared);
        if (!isPreparedConfig(raw)) throw new Error("bench: prepareConfig wrote a file it does not read");
        readPreparedConfig(raw, "bench");
        preparedMs.push(performance.now() - start);
        start = performance.now();
        parseConfig(JSON.parse(written), "bench");
        parsedMs.push(performance.now() - start);
      }
      return {
        deployments,
        bytes: Buffer.byteLength(prepared),
        preparedMs: round(median(preparedMs), 3),
        parsedMs: round(median(parsedMs), 3),
        ratio: round(median(parsedMs) / median(preparedMs), 1),
      };
    }),
  };
}
