export { SCAN_SEVERITIES } from "../deployments/vocabulary.ts";
export { parseDuration } from "./duration.ts";
export { loadConfig } from "./load.ts";
export { type ConfigIndex, configIndex } from "./lookup.ts";
export { ConfigError, parseConfig } from "./parse.ts";
export { type Config, type ConfigInput, type Deployment, defineConfig } from "./schema.ts";
export { type StrategyInput, strategySteps, type TrafficStep } from "./strategy.ts";
