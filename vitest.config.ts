import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // AsyncLocalStorage on AsyncContextFrame, as Node 24 has it by default (nodejs/node#55552):
    // the simulated account keeps its caller and region in AsyncLocalStorage, and Node 22's
    // async_hooks implementation copies them into every promise, a third of a schedule's CPU
    // time in the invariant tests (ADR 0021). The code under test does not change.
    execArgv: ["--experimental-async-context-frame"],
    // Quiet by default: tests about logs and metrics turn them on for themselves.
    env: { SWITCHYARD_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
    // CI reads a plain "N passed, N failed" line that .ci/run prints from this report.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".ci/vitest-report.json" }]] : ["default"],
  },
});
