import { PublishCommand } from "@aws-sdk/client-sns";
import type { CoreDeps } from "../context.ts";
import { logger } from "../observability/logger.ts";
import type { CostAnomaly } from "./anomaly.ts";

export interface CostNotice {
  readonly headline: string;
  readonly anomaly: CostAnomaly;
  readonly rule: string;
  readonly tier: string;
  readonly actions: readonly string[];
  /** Present when a destructive action waits for a human. */
  readonly approval?: {
    readonly command: string;
    readonly deny: string;
    readonly link: string;
    readonly timeoutSeconds: number;
  };
}

const money = (n: number | undefined) => (n === undefined ? "n/a" : `$${n.toFixed(2)}`);

function lines(n: CostNotice): string[] {
  const a = n.anomaly;
  const i = a.impact;
  const causes = a.rootCauses.length
    ? a.rootCauses.map(
        (c) =>
          `• ${c.service ?? "?"} in ${c.region ?? "?"}, account ${c.linkedAccount ?? "?"}${c.linkedAccountName ? ` (${c.linkedAccountName})` : ""}, usage ${c.usageType ?? "?"}`,
      )
    : ["• none reported"];
  return [
    n.headline,
    `Anomaly ${a.anomalyId} on ${a.dimensionValue ?? "(no dimension)"}: ${money(i.totalImpact)} above expected ` +
      `(${i.totalImpactPercentage === undefined ? "new spend" : `${i.totalImpactPercentage}%`}; actual ${money(i.totalActualSpend)}, expected ${money(i.totalExpectedSpend)})`,
    `Rule ${n.rule}, tier ${n.tier}: ${n.actions.join("; ") || "notify"}`,
    "Root causes:",
    ...causes,
    `Console: ${a.detailsLink ?? "(no link in the alert)"}`,
    ...(n.approval
      ? [
          `Approval needed within ${n.approval.timeoutSeconds} s, or nothing is done: \`${n.approval.command}\` (or \`${n.approval.deny}\`)`,
          `Execution: ${n.approval.link}`,
        ]
      : []),
  ];
}

/**
 * Publishes the notice to the SNS topic and posts it to a Slack-compatible webhook. Returns
 * what was delivered and what failed: a failed notification is recorded with the response
 * and never blocks or undoes an action (the audit log is the source of truth).
 */
export async function sendCostNotice(
  deps: CoreDeps,
  targets: { topicArn: string | null; webhookUrl: string | null },
  notice: CostNotice,
): Promise<string> {
  const text = lines(notice);
  const outcomes: string[] = [];
  if (targets.topicArn) {
    try {
      await deps.clients.sns.send(
        new PublishCommand({
          TopicArn: targets.topicArn,
          Subject: notice.headline.slice(0, 99),
          Message: JSON.stringify(
            {
              headline: notice.headline,
              anomalyId: notice.anomaly.anomalyId,
              rule: notice.rule,
              tier: notice.tier,
              impact: notice.anomaly.impact,
              rootCauses: notice.anomaly.rootCauses,
              console: notice.anomaly.detailsLink ?? null,
              actions: notice.actions,
              ...(notice.approval ? { approval: notice.approval } : {}),
              text: text.join("\n"),
            },
            null,
            2,
          ),
        }),
      );
      outcomes.push("SNS sent");
    } catch (error) {
      logger.warn("cost notification not published", { error: (error as Error).name });
      outcomes.push(`SNS failed (${(error as Error).name})`);
    }
  }
  if (targets.webhookUrl) {
    try {
      const response = await fetch(targets.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          text: text.join("\n"),
          blocks: [
            { type: "header", text: { type: "plain_text", text: notice.headline.slice(0, 150) } },
            { type: "section", text: { type: "mrkdwn", text: text.slice(1).join("\n") } },
          ],
        }),
        signal: AbortSignal.timeout(5000),
      });
      outcomes.push(response.ok ? "webhook sent" : `webhook failed (HTTP ${response.status})`);
    } catch (error) {
      logger.warn("cost webhook not posted", { error: (error as Error).name });
      outcomes.push(`webhook failed (${(error as Error).name})`);
    }
  }
  return outcomes.join(", ") || "no notification target configured";
}
