import { PublishCommand } from "@aws-sdk/client-sns";
import type { CoreDeps } from "../context.ts";
import { logger } from "../observability/logger.ts";

/**
 * Publishes a human-readable notification. A failed notification is logged and never undoes
 * or blocks the action it reports: the audit record is the source of truth.
 */
export async function notify(
  deps: CoreDeps,
  topicArn: string | null | undefined,
  subject: string,
  message: Record<string, unknown>,
): Promise<void> {
  if (!topicArn) return;
  try {
    await deps.clients.sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject.slice(0, 99),
        Message: JSON.stringify(message, null, 2),
      }),
    );
  } catch (error) {
    logger.warn("notification not sent", {
      subject,
      error: (error as Error).name,
      message: (error as Error).message,
    });
  }
}
