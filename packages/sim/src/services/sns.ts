import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

export interface PublishedMessage {
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  PublishedAt: string;
}

/** SNS topics that record what was published (notifications). */
export class SnsService {
  readonly #kernel: Kernel;
  readonly #topics = new Map<string, PublishedMessage[]>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  createTopic(arnOrName: string): string {
    const arn = arnOrName.startsWith("arn:") ? arnOrName : this.#kernel.arn("sns", arnOrName);
    if (!this.#topics.has(arn)) this.#topics.set(arn, []);
    return arn;
  }

  published(topicArn?: string): readonly PublishedMessage[] {
    if (topicArn) return this.#topics.get(topicArn) ?? [];
    return [...this.#topics.values()].flat();
  }

  /** Publish is authorized on the topic (Service Authorization Reference, Amazon SNS). */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    return [String(input.TopicArn ?? "*")];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    if (action !== "Publish") return fail("InvalidAction", `the simulated SNS does not implement ${action}`);
    const arn = String(input.TopicArn ?? "");
    // "You can publish messages only to topics and endpoints in the same AWS Region": a client of
    // another Region is answered InvalidParameter, as AWS does, not delivered across Regions.
    // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    const topicRegion = arn.split(":")[3];
    if (topicRegion !== undefined && topicRegion !== this.#kernel.clientRegion())
      return fail("InvalidParameterException", "Invalid parameter: TopicArn");
    const messages = this.#topics.get(arn);
    if (!messages) return fail("NotFoundException", "Topic does not exist");
    const message: PublishedMessage = {
      MessageId: this.#kernel.newId(),
      TopicArn: arn,
      ...(input.Subject ? { Subject: String(input.Subject) } : {}),
      Message: String(input.Message ?? ""),
      PublishedAt: this.#kernel.clock.iso(),
    };
    messages.push(message);
    return { MessageId: message.MessageId };
  }
}
