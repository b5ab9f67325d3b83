import { writeFileSync } from "node:fs";
import { DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { GetAliasCommand, GetFunctionCommand } from "@aws-sdk/client-lambda";
import { DescribeSecretCommand } from "@aws-sdk/client-secrets-manager";
import type { AwsClients } from "@switchyard/core/aws/clients";
import type { Config } from "@switchyard/core/config/index";
import { prepareConfig } from "@switchyard/core/config/prepared";
import { useAwsFlags } from "./aws.ts";
import { colour, configFrom, printJson, say, str } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** One resource the config names, and whether the account has it. */
export interface Check {
  kind: "function" | "alias" | "alarm" | "repository" | "secret";
  name: string;
  /** Which part of the config names it. */
  by: string;
  exists: boolean;
}

/** AWS's ways of saying "there is no such thing". */
const MISSING = new Set(["ResourceNotFoundException", "RepositoryNotFoundException", "NotFoundException"]);

async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (MISSING.has((error as Error).name)) return false;
    throw error; // credentials, network, access: explained once, at the top
  }
}

/** Checks that the functions, aliases, alarms, repositories and secrets the config names exist. */
export async function checkAccount(config: Config, clients: AwsClients): Promise<Check[]> {
  const checks: Promise<Check>[] = [];
  const check = (kind: Check["kind"], name: string, by: string, call: () => Promise<unknown>): void => {
    checks.push(exists(call).then((ok) => ({ kind, name, by, exists: ok })));
  };
  config.deployments.forEach((d, i) => {
    const by = `deployments[${i}] (${d.name})`;
    check("function", d.function, by, () =>
      clients.lambda.send(new GetFunctionCommand({ FunctionName: d.function })),
    );
    check("alias", `${d.function}:${d.alias}`, by, () =>
      clients.lambda.send(new GetAliasCommand({ FunctionName: d.function, Name: d.alias })),
    );
    if (d.image)
      check("repository", d.image.repository, by, () =>
        // DescribeImages, which the deploy functions are granted already, names a missing repository.
        clients.ecr.send(new DescribeImagesCommand({ repositoryName: d.image?.repository, maxResults: 1 })),
      );
  });
  const alarms = [...new Set(config.deployments.flatMap((d) => d.alarms))];
  if (alarms.length > 0) {
    const found = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: alarms, AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
    );
    const have = new Set(
      [...(found.MetricAlarms ?? []), ...(found.CompositeAlarms ?? [])].map((a) => String(a.AlarmName)),
    );
    for (const alarm of alarms) {
      const by = config.deployments.filter((d) => d.alarms.includes(alarm)).map((d) => d.name);
      checks.push(
        Promise.resolve({
          kind: "alarm",
          name: alarm,
          by: `deployments ${by.join(", ")}`,
          exists: have.has(alarm),
        }),
      );
    }
  }
  config.secrets.forEach((s, i) => {
    check("secret", s.secretId, `secrets[${i}] (${s.name})`, () =>
      clients.secrets.send(new DescribeSecretCommand({ SecretId: s.secretId })),
    );
  });
  return Promise.all(checks);
}

/** `switchyard validate [--config F] [--aws] [--prepare OUT]`. */
export async function run({ flags }: VerbInput): Promise<number> {
  const file = str(flags.config) ?? "switchyard.config.ts";
  let config: Config;
  try {
    config = await configFrom(flags);
  } catch (error) {
    const issues = (error as { issues?: string[] }).issues;
    if ((error as Error).name !== "ConfigError" || !issues) throw error;
    if (flags.json) printJson({ file, valid: false, issues });
    else say(`${colour.red("✗")} ${(error as Error).message}`);
    return 1;
  }
  const summary = `${config.deployments.length} deployment(s), ${config.secrets.length} secret(s), ${config.failover.runbooks.length} runbook(s)`;
  const prepared = str(flags.prepare);
  if (prepared) {
    // Only a valid config gets here: the file holds what the stack would bundle for the functions.
    writeFileSync(prepared, prepareConfig(config));
    if (!flags.json) say(`${colour.green("✓")} wrote ${prepared}: the config as the functions read it`);
  }
  if (!flags.aws) {
    if (flags.json) printJson({ file, valid: true, summary, ...(prepared ? { prepared } : {}) });
    else say(`${colour.green("✓")} ${file} is valid: ${summary}`);
    return 0;
  }
  const { region } = useAwsFlags(config, flags);
  const { createAllClients } = await import("@switchyard/core/aws/all-clients");
  const checks = await checkAccount(config, createAllClients({ region }));
  const missing = checks.filter((c) => !c.exists);
  if (flags.json) printJson({ file, valid: missing.length === 0, summary, region, checks });
  else {
    for (const c of checks)
      say(
        `${c.exists ? colour.green("✓") : colour.red("✗")} ${c.kind.padEnd(10)} ${c.name}  ${colour.dim(c.by)}`,
      );
    say(
      missing.length === 0
        ? `${file} is valid and everything it names exists in ${region}`
        : `${missing.length} of ${checks.length} resources the config names do not exist in ${region}: create them or fix the names`,
    );
  }
  return missing.length === 0 ? 0 : 1;
}
