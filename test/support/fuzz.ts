/**
 * What the fuzz tests share: a seeded generator fast enough for hundreds of thousands of draws,
 * walking and changing JSON in place, and the hostile values issue #11 names (huge strings,
 * extreme numbers, foreign accounts and regions).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = (string | number)[];

/**
 * How many mutated events the function fuzz sends in all: `SWITCHYARD_FUZZ_RUNS`, else
 * `fallback` (what `npm test` runs: 100,000, issue #11's bar).
 */
export function fuzzRuns(fallback: number): number {
  const raw = Number(process.env.SWITCHYARD_FUZZ_RUNS);
  return Number.isInteger(raw) && raw > 0 ? raw : fallback;
}

/** mulberry32: small, seeded, and fast enough for hundreds of thousands of draws. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One of `from`, drawn with `draw`. */
export const pick = <T>(draw: () => number, from: readonly T[]): T =>
  from[Math.floor(draw() * from.length)] as T;

/** Every node below the root, parents before children. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const keys: (string | number)[] = Array.isArray(value)
    ? value.map((_, index) => index)
    : Object.keys(value);
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...pathsOf((value as Record<string | number, Json>)[key] as Json, path)];
  });
}

export function parentOf(root: Json, path: Path): Record<string | number, Json> | undefined {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, Json>)[key] as Json;
  }
  return node !== null && typeof node === "object" ? (node as Record<string | number, Json>) : undefined;
}

/** An own property, even for "__proto__", which plain assignment would turn into a prototype change. */
export function setOwn(target: Record<string | number, Json>, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export const EXTREME_NUMBERS: readonly Json[] = [
  1e308,
  -1e308,
  5e-324,
  -5e-324,
  1e126,
  9.99e125,
  1e-131,
  Number.MAX_SAFE_INTEGER + 2,
  -1,
  0,
  0.5,
  2 ** 53,
];
export const FOREIGN_ACCOUNTS: readonly Json[] = [
  "000000000000",
  "99999999999",
  "1234567890123",
  "",
  "12345678901a",
  123456789012,
];
export const FOREIGN_REGIONS: readonly Json[] = [
  "",
  "xx-fake-9",
  "us-east-1 ",
  "US-EAST-1",
  "us-gov-west-1",
  "cn-north-1",
  "global",
  "us-east-10",
];
/** Well-formed, and still not the config's: what only provenance can refuse. */
export const WELL_FORMED_FOREIGN = {
  accounts: ["210987654321", "111111111111"],
  regions: ["eu-west-3", "ap-northeast-1"],
} as const;
const HUGE_LENGTHS = [300, 1_100, 5_000, 100_000, 300_000];

/** A hostile value for the field `key`: foreign for an account or region, else extreme or huge. */
export function hostileValue(draw: () => number, key: string | number | undefined): Json {
  const name = String(key ?? "").toLowerCase();
  const roll = draw();
  if (name.includes("account") && roll < 0.7) return pick(draw, FOREIGN_ACCOUNTS);
  if (name.includes("region") && roll < 0.7) return pick(draw, FOREIGN_REGIONS);
  if (roll < 0.3) return pick(draw, EXTREME_NUMBERS);
  // The longest strings are rare: serialising a quarter of a megabyte dominates the run time.
  if (roll < 0.55)
    return "\u00e9x".repeat(pick(draw, draw() < 0.9 ? HUGE_LENGTHS.slice(0, 3) : HUGE_LENGTHS) / 2);
  if (roll < 0.65) return "";
  if (roll < 0.75) return null;
  if (roll < 0.85) return [pick(draw, EXTREME_NUMBERS), "x"];
  return { nested: pick(draw, EXTREME_NUMBERS) };
}

/** Puts one to three hostile values at random places of `value` (one of `paths`), in place. */
export function plantHostile(draw: () => number, value: Json, paths: readonly Path[]): void {
  const mutations = 1 + Math.floor(draw() * 3);
  for (let i = 0; i < mutations && paths.length > 0; i++) {
    const path = pick(draw, paths);
    const parent = parentOf(value, path);
    const key = path[path.length - 1];
    if (parent !== undefined && key !== undefined) setOwn(parent, key, hostileValue(draw, key));
  }
}
