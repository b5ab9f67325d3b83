import type { Config } from "@switchyard/core/config/index";
import { secretStatuses } from "@switchyard/core/secrets/stuck";
import { historyText } from "../dev/operations.ts";
import {
  connectLocal,
  history,
  OpsError,
  type OpsTarget,
  operatorAbandon,
  operatorPromote,
  operatorRollback,
  operatorRollbackTo,
  setPaused,
  status,
} from "../ops.ts";
import { connectAws, missingTable } from "./aws.ts";
import { actor, configFrom, printJson, say, str, UsageError, type VerbFlags } from "./kit.ts";
import type { VerbInput } from "./table.ts";

/** The operations target: the real account with --aws, else the simulated account seeded from the config. */
export async function target(config: Config, flags: VerbFlags, dryRun = false): Promise<OpsTarget> {
  if (flags.aws) return connectAws(config, flags, { dryRun });
  return connectLocal(config, { dryRun });
}

const NEEDS_REASON = new Set(["pause", "resume", "rollback", "promote", "abandon"]);
const NEEDS_DEPLOYMENT = new Set(["rollback", "promote", "abandon"]);

/** `switchyard status|history|pause|resume|rollback|promote|abandon`. */
export async function run({ verb, args, flags }: VerbInput): Promise<number> {
  // pause|resume DEPLOYMENT holds one rollout (ADR 0029); without a deployment, the kill switch.
  if ((verb === "pause" || verb === "resume") && args[0])
    return (await import("./operator.ts")).run({ verb, args, flags });
  if (NEEDS_REASON.has(verb) && !str(flags.reason))
    throw new UsageError(`${verb} needs --reason "…": it goes into the audit log`);
  if (NEEDS_DEPLOYMENT.has(verb) && !args[0])
    throw new UsageError(`${verb} needs the deployment's name, e.g. switchyard ${verb} api --reason "…"`);
  const to = str(flags.to);
  const limit = flags.limit === undefined ? 50 : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, got "${String(flags.limit)}"`);
  const config = await configFrom(flags);
  const on = await target(config, flags, flags["dry-run"] === true);
  const print = (data: unknown, human: string) => {
    const plan = on.plan;
    if (flags.json) return printJson(plan ? { result: data, plan } : data);
    say(
      plan
        ? `${human}\ndry run: ${plan.length} write(s) not sent${plan.map((w) => `\n  ${w.service} ${w.action} ${JSON.stringify(w.input)}`).join("")}`
        : human,
    );
  };
  try {
    switch (verb) {
      case "status":
        print(...(await statusOf(config, on)));
        return 0;
      case "history": {
        const records = await history(on, limit);
        print(records, historyText(records));
        return 0;
      }
      case "pause":
      case "resume": {
        const started = await setPaused(on, verb === "pause", String(flags.reason), actor(flags), config);
        const done = verb === "pause" ? "paused" : "resumed";
        const held = started.map((arn) => `\nqueued push started: ${arn.split(":").at(-1)}`).join("");
        print(
          {
            paused: verb === "pause",
            ...(started.length ? { started } : {}),
            ...(on.plan ? { dryRun: true } : {}),
          },
          on.plan ? `would ${verb} automation on ${on.where}` : `automation ${done} on ${on.where}${held}`,
        );
        return 0;
      }
      default: {
        const name = String(args[0]);
        const out =
          verb === "rollback" && to !== undefined
            ? await operatorRollbackTo(config, on, name, to, String(flags.reason), actor(flags))
            : verb === "rollback"
              ? await operatorRollback(config, on, name, String(flags.reason), actor(flags))
              : verb === "abandon"
                ? await operatorAbandon(config, on, name, String(flags.reason), actor(flags))
                : await operatorPromote(config, on, name, String(flags.reason), actor(flags));
        print(out, `${on.plan ? "would be " : ""}${out.outcome}: ${out.detail}`);
        return out.outcome === "stale" ? 1 : 0;
      }
    }
  } catch (error) {
    if (error instanceof OpsError) throw new UsageError(error.message);
    throw missingTable(error, on) ?? error;
  } finally {
    await on.close();
  }
}

async function statusOf(config: Config, on: OpsTarget): Promise<[unknown, string]> {
  const s = await status(config, on);
  const lines = s.deployments.map(
    (d) =>
      `${d.deployment.padEnd(16)} ${d.alias.padEnd(28)} ${d.serving}` +
      (d.record
        ? `\n${"".padEnd(17)}last deployment: ${d.record.status} (v${d.record.stableVersion} → v${d.record.newVersion || "?"}) ${d.record.executionArn.split(":").at(-1)}`
        : "") +
      (d.analysis ?? []).map((a) => `\n${"".padEnd(17)}${a}`).join("") +
      `\n${"".padEnd(17)}alarms: ${
        Object.entries(d.alarms)
          .map(([n, v]) => `${n}=${v}`)
          .join(", ") || "none"
      }` +
      (d.budget
        ? `\n${"".padEnd(17)}error budget: ${Object.entries(d.budget.alarms)
            .map(([n, v]) => `${n}=${v}`)
            .join(
              ", ",
            )}${d.budget.freeze ? `; FROZEN (${d.budget.freeze.level}): ${d.budget.freeze.reason}` : ""}`
        : ""),
  );
  const secrets = await secretStatuses(on.deps, config.secrets);
  const secretLines = secrets.map(
    (x) =>
      `${x.secret.padEnd(16)} ${x.rotator.padEnd(28)} ` +
      (x.problem
        ? x.problem
        : `last rotation: ${x.lastRotated ?? "never"}, next: ${x.nextRotation ?? (x.rotationEnabled ? "?" : "rotation off")}` +
          (x.stuck
            ? `\n${"".padEnd(17)}STUCK: version ${x.stuck.version} is AWSPENDING and blocks rotation`
            : "")),
  );
  return [
    { ...s, secrets },
    [
      `${s.where}`,
      `automation: ${s.paused ? `PAUSED (${s.pausedReason ?? ""})` : "running"}`,
      ...lines,
      ...(secretLines.length ? ["secrets:", ...secretLines] : []),
    ].join("\n"),
  ];
}
