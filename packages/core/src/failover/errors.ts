import type { FailoverErrors } from "../workflows/failover.ts";

/** An error whose name the failover state machine's Retry/Catch match. */
export class FailoverError extends Error {
  constructor(name: (typeof FailoverErrors)[keyof typeof FailoverErrors], message: string) {
    super(message);
    this.name = name;
  }
}
