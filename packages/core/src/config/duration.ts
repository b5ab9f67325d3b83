const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/** Largest unit first, each at most once: "2d", "1h30m", "90s". */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Words people write for units, so "5 minutes" can be answered with "5m". */
const UNIT_WORDS: Record<string, keyof typeof UNIT_SECONDS> = {
  s: "s",
  sec: "s",
  secs: "s",
  second: "s",
  seconds: "s",
  m: "m",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  h: "h",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  d: "d",
  day: "d",
  days: "d",
};

function rewrite(text: string): string | undefined {
  const spelled = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  if (!spelled) return undefined;
  const [, amount, word = ""] = spelled;
  // A bare number is most often seconds (CloudFormation and SDK timeouts are seconds).
  const unit = word === "" ? "s" : UNIT_WORDS[word.toLowerCase()];
  return unit === undefined ? undefined : `${amount}${unit}`;
}

/** Seconds in `text`, or why it is not a duration (for the config schema, which reports instead of throwing). */
export function readDuration(text: string): { seconds: number } | { problem: string } {
  const match = text === "" ? null : DURATION.exec(text);
  if (!match) {
    const rewritten = rewrite(text);
    const hint = rewritten === undefined ? "" : `; did you mean "${rewritten}"?`;
    return {
      problem:
        `invalid duration ${JSON.stringify(text)}: write whole numbers with a unit, largest first, ` +
        `using d, h, m, s (e.g. "30s", "5m", "1h30m", "2d")${hint}`,
    };
  }
  const [, days, hours, minutes, seconds] = match;
  return {
    seconds:
      Number(days ?? 0) * UNIT_SECONDS.d +
      Number(hours ?? 0) * UNIT_SECONDS.h +
      Number(minutes ?? 0) * UNIT_SECONDS.m +
      Number(seconds ?? 0) * UNIT_SECONDS.s,
  };
}

/** Seconds in a duration written as "30s", "1m", "5m", "1h", "1h30m", "2d"; throws on anything else. */
export function parseDuration(text: string): number {
  const result = readDuration(text);
  if ("problem" in result) throw new Error(result.problem);
  return result.seconds;
}

/** Seconds written back as a duration, largest unit first: 5400 → "1h30m", 0 → "0s". */
export function formatDuration(seconds: number): string {
  let left = seconds;
  let text = "";
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const count = Math.floor(left / size);
    if (count > 0) text += `${count}${unit}`;
    left -= count * size;
  }
  return text || "0s";
}
