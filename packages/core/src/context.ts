import type { AwsClients } from "./aws/clients.ts";
import type { Config } from "./config/index.ts";
import type { StateStore } from "./store/state.ts";

/** What core needs from its caller: clients, state, time. Created once per container. */
export interface CoreDeps {
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly now: () => Date;
}

/** Trigger-side reactions also need the config and where the workflows live. */
export interface TriggerDeps extends CoreDeps {
  readonly config: Config;
  readonly deployStateMachineArn: string;
}

/** What a reaction did with one event: the replay report and the audit log read this. */
export interface ReactionResult {
  readonly reaction: string;
  /** started | duplicate | rolled-back | no-action | paused | stale | recorded | rejected ... */
  readonly outcome: string;
  readonly reason: string;
  readonly executions: string[];
  readonly subjects?: string[];
}
