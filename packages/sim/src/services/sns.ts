import type { SimulatedAccount } from "../account.ts";
import { fail } from "../errors.ts";

export interface PublishedMessage {
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  PublishedAt: string;
}

/** SNS topics that record what was published (notifications). */
export class SnsService {
  readonly #account: SimulatedAccount;
  readonly #topics = new Map<string, PublishedMessage[]>();

  constructor(account: SimulatedAccount) {
    this.#account = account;
  }

  createTopic(arnOrName: string): string {
    const arn = arnOrName.startsWith("arn:") ? arnOrName : this.#account.arn("sns", arnOrName);
    if (!this.#topics.has(arn)) this.#topics.set(arn, []);
    return arn;
  }

  published(topicArn?: string): readonly PublishedMessage[] {
    if (topicArn) return this.#topics.get(topicArn) ?? [];
    return [...this.#topics.values()].flat();
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    if (action !== "Publish") return fail("InvalidAction", `the simulated SNS does not implement ${action}`);
    const arn = String(input.TopicArn ?? "");
    const messages = this.#topics.get(arn);
    if (!messages) return fail("NotFoundException", "Topic does not exist");
    const message: PublishedMessage = {
      MessageId: this.#account.newId(),
      TopicArn: arn,
      ...(input.Subject ? { Subject: String(input.Subject) } : {}),
      Message: String(input.Message ?? ""),
      PublishedAt: this.#account.clock.iso(),
    };
    messages.push(message);
    return { MessageId: message.MessageId };
  }
}
