import type { Handler } from "aws-lambda";
import * as deploySteps from "./deploy-steps.ts";
import * as deployTrigger from "./deploy-trigger.ts";
import * as rollback from "./rollback.ts";
import type { ContextProvider } from "./runtime.ts";
import * as scanResult from "./scan-result.ts";

export { type ContextProvider, ENV, type FunctionContext } from "./runtime.ts";

/** Handler factories of the bus-driven and workflow functions, by the names in core's wiring. */
export const factories: Record<
  "deploy-trigger" | "scan-result" | "rollback" | "deploy-steps",
  (provider: ContextProvider) => Handler
> = {
  "deploy-trigger": deployTrigger.make,
  "scan-result": scanResult.make,
  rollback: rollback.make,
  "deploy-steps": deploySteps.make,
};
