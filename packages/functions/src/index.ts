import type { FunctionName } from "@switchyard/core/wiring";
import type { Handler } from "aws-lambda";
import * as costIntake from "./cost-intake.ts";
import * as costSteps from "./cost-steps.ts";
import * as deploySteps from "./deploy-steps.ts";
import * as deployTrigger from "./deploy-trigger.ts";
import * as deployWatch from "./deploy-watch.ts";
import * as failoverSteps from "./failover-steps.ts";
import * as failoverTrigger from "./failover-trigger.ts";
import * as rollback from "./rollback.ts";
import * as rotate from "./rotate.ts";
import type { ContextProvider } from "./runtime.ts";
import * as scanResult from "./scan-result.ts";
import * as secretLeak from "./secret-leak.ts";
import * as secretLeakSteps from "./secret-leak-steps.ts";
import * as secretsStuck from "./secrets-stuck.ts";

export { type ContextProvider, ENV, type FunctionContext } from "./runtime.ts";

/**
 * Handler factories of the bus-driven and workflow functions, by the names in core's wiring
 * (typed so that a function added to the wiring cannot be forgotten here). The GitHub webhook
 * receiver has a factory of its own shape (`github-webhook.ts`).
 */
export const factories: Record<
  Exclude<FunctionName, "github-webhook">,
  (provider: ContextProvider) => Handler
> = {
  "deploy-trigger": deployTrigger.make,
  "scan-result": scanResult.make,
  rollback: rollback.make,
  "deploy-steps": deploySteps.make,
  "deploy-watch": deployWatch.make,
  "cost-intake": costIntake.make as (provider: ContextProvider) => Handler,
  "cost-steps": costSteps.make,
  rotate: (provider) => rotate.make(provider) as Handler,
  "secret-leak": secretLeak.make as (provider: ContextProvider) => Handler,
  "secret-leak-steps": (provider) => secretLeakSteps.make(provider) as Handler,
  "secrets-stuck": (provider) => secretsStuck.make(provider) as Handler,
  "failover-trigger": failoverTrigger.make,
  "failover-steps": failoverSteps.make,
};
