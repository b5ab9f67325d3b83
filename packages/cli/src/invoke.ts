import type { Config } from "@switchyard/core/config/index";
import { functions } from "@switchyard/core/wiring";
import { LOCAL_NAMES, startControlPlane } from "./local/control-plane.ts";

/** Invokes one Switchyard function on the simulated account, as `sam local invoke` does. */
export async function invokeFunction(
  config: Config,
  name: string,
  payload: unknown,
): Promise<{ result?: unknown; error?: { errorType: string; errorMessage: string } }> {
  const known = functions.map((f) => f.name);
  if (!known.includes(name as (typeof known)[number])) {
    return {
      error: {
        errorType: "UnknownFunction",
        errorMessage: `no Switchyard function "${name}"; functions: ${known.join(", ")}`,
      },
    };
  }
  const plane = await startControlPlane(config);
  try {
    const out = await plane.account.lambda.invoke(`${LOCAL_NAMES.functionPrefix}${name}`, payload, {
      principal: "operator",
    });
    await plane.settle();
    return out.error ? { error: out.error } : { result: out.result };
  } finally {
    await plane.close();
  }
}
