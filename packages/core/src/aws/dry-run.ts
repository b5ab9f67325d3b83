import type { AnyClient } from "./clients.ts";

/** A write the dry run did not send. */
export interface PlannedWrite {
  readonly service: string;
  readonly action: string;
  readonly input: unknown;
}

/** Commands that only read: these pass through to the account. */
const READS = /^(Get|Describe|List|Query|Scan|BatchGet|Head|Lookup|Search|Test)/;

/**
 * Plugs a dry run in beneath an SDK client: reads pass through to the account (real or
 * simulated), writes are recorded in `plan` and answered with an empty success instead of being
 * sent. Code that uses a write's answer sees an empty output; the operations that run dry
 * (operator verbs, game days) only need to know that the write would have been made.
 */
export function attachDryRun(client: AnyClient, plan: PlannedWrite[]): void {
  const stack = client.middlewareStack as unknown as {
    add(mw: unknown, options: { step: string; name: string; priority?: string }): void;
  };
  stack.add(
    (next: (args: { input: unknown }) => Promise<unknown>, context: Record<string, string>) =>
      async (args: { input: unknown }) => {
        const action = (context.commandName ?? "").replace(/Command$/, "");
        if (READS.test(action)) return next(args);
        plan.push({ service: (context.clientName ?? "").replace(/Client$/, ""), action, input: args.input });
        return { output: { $metadata: { httpStatusCode: 200, requestId: "dry-run" } }, response: {} };
      },
    { step: "initialize", name: "switchyardDryRun", priority: "high" },
  );
}
