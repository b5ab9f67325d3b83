/** Edit distance (insertions, deletions, substitutions), case-insensitive: `stratgy` → `strategy` is 1. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/**
 * The candidate nearest to `word`, if it is near enough to be what the writer meant.
 * A third of the word may be wrong (at least 2 characters), so "alrams" finds "alarms"
 * but "x" does not claim to mean "name".
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= tolerance ? best : undefined;
}

/** `did you mean "strategy"?` when there is a near candidate, else the list to choose from. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  if (near !== undefined) return `did you mean "${near}"?`;
  return `use one of: ${candidates.join(", ")}`;
}
