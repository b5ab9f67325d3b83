/** Placeholder until the benchmark lands; `switchyard bench` reports that it is not available yet. */
export async function runBench(_options: { json: boolean }): Promise<number> {
  process.stderr.write("switchyard bench: not available in this build\n");
  return 2;
}
