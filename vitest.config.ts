import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Quiet by default: tests about logs and metrics turn them on for themselves.
    env: { SWITCHYARD_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
    // CI reads a plain "N passed, N failed" line that .ci/run prints from this report.
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".ci/vitest-report.json" }]] : ["default"],
  },
});
