import type { DeployInput } from "./input.ts";

/**
 * The verdict of the last pre-step check: the guarded shift's result, or (in executions
 * started under the earlier definition) the separate check's.
 */
export function stepCheckOf(input: DeployInput): { reason?: string } | undefined {
  const carried = input as {
    shift?: { value?: { reason?: string } };
    alarmCheck?: { value?: { reason?: string } };
  };
  return carried.shift?.value?.reason !== undefined ? carried.shift.value : carried.alarmCheck?.value;
}
