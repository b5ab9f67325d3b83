import { describe, expect, it } from "vitest";
import { SimulatedAccount } from "./index.ts";

const pass = (extra: Record<string, unknown> = {}) => ({
  StartAt: "Only",
  States: { Only: { Type: "Pass", End: true, ...extra } },
});

function refusal(account: SimulatedAccount, name: string, definition: object): string {
  try {
    account.sfn.createStateMachine(name, definition);
    return "accepted";
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

describe("CreateStateMachine's validation in the simulated account", () => {
  it("refuses each invalid definition with asl-validator's message, however many were validated before", () => {
    const account = new SimulatedAccount();
    const badPath = pass({ ResultPath: "not a path" });
    const badType = { StartAt: "Only", States: { Only: { Type: "Sleep", End: true } } };

    const first = refusal(account, "bad-path", badPath);
    const valid = refusal(account, "fine", pass({ ResultPath: "$.out" }));
    const other = refusal(account, "bad-type", badType);
    const again = refusal(new SimulatedAccount(), "bad-path", badPath);

    expect(first).toMatch(/^InvalidDefinition: Invalid State Machine Definition: .*ResultPath/s);
    expect(valid).toBe("accepted");
    expect(other).toMatch(/^InvalidDefinition: Invalid State Machine Definition: /);
    expect(other).not.toBe(first);
    expect(again).toBe(first);
  });
});
