/**
 * Reads a field written either as the service's API spells it or as Step Functions' AWS SDK
 * integration does (`DBInstanceIdentifier` / `DbInstanceIdentifier`, `cluster` / `Cluster`).
 */
export function field(input: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) if (input[name] !== undefined) return input[name];
  return undefined;
}
