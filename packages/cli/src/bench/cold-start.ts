import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { prepareConfig } from "@switchyard/core/config/prepared";
import { alarmStateChange } from "./events.ts";
import { median, round } from "./stats.ts";
import { ALARM, benchConfig, deployment } from "./world.ts";

/**
 * A cold rollback container, timed inside its own Node process: importing the handler's bundle,
 * then, on its first invocation (an alarm going to ALARM), the time until its first request
 * reaches AWS. Lambda bills and waits for both. Beside it, the floor of the second part: a bundle
 * that makes one `GetAlias` with a fresh SDK client, the first request any rollback must send.
 */
export interface ColdStart {
  /** Medians of `runs` processes each, alternately. */
  runs: number;
  importMs: number;
  /** From the handler's call to its first request on the wire (context, config, event parse, SDK). */
  firstRequestMs: number;
  /** The same for a lone `GetAlias` on a new LambdaClient. */
  floorFirstRequestMs: number;
  /** firstRequestMs / floorFirstRequestMs. */
  ratio: number;
}

/**
 * The child's script. It serves AWS's endpoint itself (AWS_ENDPOINT_URL, which every SDK v3 client
 * reads), so nothing leaves the machine, and exits at the first request. It sets the handler's
 * environment after starting the server and before the import, as Lambda sets it before the
 * runtime loads the handler.
 */
const DRIVER = `
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
const [bundle, mode, configFile, eventFile] = process.argv.slice(2);
let invoked;
const server = createServer(() => {
  console.log(JSON.stringify({ importMs: invoked - started, firstRequestMs: performance.now() - invoked }));
  process.exit(0);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
Object.assign(process.env, {
  AWS_ENDPOINT_URL: "http://127.0.0.1:" + server.address().port,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDBENCHCOLDSTART",
  AWS_SECRET_ACCESS_KEY: "bench-only-not-a-secret",
  AWS_LAMBDA_FUNCTION_NAME: "rollback",
  SWITCHYARD_CONFIG_FILE: configFile,
  SWITCHYARD_TABLE: "switchyard-bench-state",
  POWERTOOLS_LOG_LEVEL: "SILENT",
  POWERTOOLS_METRICS_DISABLED: "true",
});
const event = JSON.parse(readFileSync(eventFile, "utf8"));
const started = performance.now();
const { handler } = await import(bundle);
invoked = performance.now();
await (mode === "handler"
  ? handler(event, { functionName: "rollback", awsRequestId: "bench-cold", getRemainingTimeInMillis: () => 30000 })
  : handler());
console.error("the handler returned without sending a request");
process.exit(1);
`;

const FLOOR = `
import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
export const handler = () =>
  new LambdaClient({}).send(new GetAliasCommand({ FunctionName: "api-handler", Name: "live" }));
`;

/**
 * Times `runs * 3` cold rollbacks and as many floors, alternately. `bundle` builds an entry's
 * source the way the stack bundles a function, to `outfile`.
 */
export async function measureColdStart(
  rollbackBundle: string,
  outdir: string,
  runs: number,
  bundle: (contents: string, outfile: string) => Promise<void>,
): Promise<ColdStart> {
  const driver = join(outdir, "cold-start-driver.mjs");
  const floor = join(outdir, "cold-start-floor.mjs");
  const configFile = join(outdir, "switchyard.config.json");
  const eventFile = join(outdir, "alarm.json");
  await writeFile(driver, DRIVER);
  await writeFile(configFile, prepareConfig(benchConfig([deployment(0)])));
  await writeFile(eventFile, JSON.stringify(alarmStateChange(ALARM, "ALARM", new Date().toISOString())));
  await bundle(FLOOR, floor);

  const run = (file: string, mode: "handler" | "floor") => {
    const child = spawnSync(
      process.execPath,
      [driver, pathToFileURL(file).href, mode, configFile, eventFile],
      { env: {}, encoding: "utf8", timeout: 30_000 },
    );
    if (child.status !== 0)
      throw new Error(`bench: the cold ${mode} run failed: ${(child.stderr || child.stdout).slice(0, 500)}`);
    return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as {
      importMs: number;
      firstRequestMs: number;
    };
  };
  const handler: { importMs: number; firstRequestMs: number }[] = [];
  const floors: number[] = [];
  for (let i = 0; i < runs * 3; i++) {
    handler.push(run(rollbackBundle, "handler"));
    floors.push(run(floor, "floor").firstRequestMs);
  }
  const firstRequestMs = median(handler.map((h) => h.firstRequestMs));
  const floorFirstRequestMs = median(floors);
  return {
    runs: runs * 3,
    importMs: round(median(handler.map((h) => h.importMs)), 1),
    firstRequestMs: round(firstRequestMs, 1),
    floorFirstRequestMs: round(floorFirstRequestMs, 1),
    ratio: round(firstRequestMs / floorFirstRequestMs, 2),
  };
}
