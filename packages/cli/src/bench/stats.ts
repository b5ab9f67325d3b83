/** Nearest-rank percentile (p in 0..100) of a non-empty sample: always a value that was observed. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of an empty sample");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** Rounds for reports: enough digits to compare runs, no false precision. */
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
