import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["30s", 30],
    ["1m", 60],
    ["5m", 300],
    ["1h", 3_600],
    ["1h30m", 5_400],
    ["2d", 172_800],
    ["1d2h3m4s", 93_784],
    ["0s", 0],
  ])("reads %s as %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it("rejects a spelled-out unit and suggests the short form", () => {
    expect(() => parseDuration("5 minutes")).toThrow(
      'invalid duration "5 minutes": write whole numbers with a unit, largest first, using d, h, m, s ' +
        '(e.g. "30s", "5m", "1h30m", "2d"); did you mean "5m"?',
    );
  });

  it("rejects a number without a unit and suggests seconds", () => {
    expect(() => parseDuration("90")).toThrow('did you mean "90s"?');
  });

  it.each(["", "1.5h", "30m1h", "-1m", "1 h 30 m", "5x", "m"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(`invalid duration ${JSON.stringify(text)}`);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45, "45s"],
    [1_200, "20m"],
    [5_400, "1h30m"],
    [93_784, "1d2h3m4s"],
  ])("writes %i seconds as %s, which reads back the same", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});
