import { createHash } from "node:crypto";
import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

export interface QueuedMessage {
  MessageId: string;
  Body: string;
  MessageAttributes: Record<string, { DataType: string; StringValue?: string }>;
  SentAt: string;
}

/**
 * SQS, as far as Switchyard uses it: the dead-letter queue. Queues are regional: a client reaches
 * its region's queues only (https://docs.aws.amazon.com/general/latest/gr/sqs-service.html).
 */
export class SqsService {
  readonly #kernel: Kernel;
  /** By `region/name`. */
  readonly #queues = new Map<string, QueuedMessage[]>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /** A queue in `region` (the account's by default); its URL. */
  createQueue(name: string, region = this.#kernel.region): string {
    if (!this.#queues.has(`${region}/${name}`)) this.#queues.set(`${region}/${name}`, []);
    return this.queueUrl(name, region);
  }

  queueUrl(name: string, region = this.#kernel.region): string {
    return this.#kernel.queueUrl(name, region);
  }

  /** The messages of a queue in `region` (the account's by default). */
  messages(name: string, region = this.#kernel.region): readonly QueuedMessage[] {
    return this.#queues.get(`${region}/${name}`) ?? [];
  }

  /** Sends to a queue of the calling client's region. */
  send(queue: string, body: string, attributes: QueuedMessage["MessageAttributes"] = {}): QueuedMessage {
    const name = queue.split(/[/:]/).at(-1) ?? queue;
    const messages = this.#queues.get(`${this.#kernel.clientRegion()}/${name}`);
    if (!messages)
      return fail("AWS.SimpleQueueService.NonExistentQueue", `The specified queue does not exist: ${queue}`);
    if (Buffer.byteLength(body) > 262_144) {
      return fail(
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.",
      );
    }
    const message = {
      MessageId: this.#kernel.newId(),
      Body: body,
      MessageAttributes: attributes,
      SentAt: this.#kernel.clock.iso(),
    };
    messages.push(message);
    return message;
  }

  /** Queue actions are authorized on the queue's ARN, from its URL (Service Authorization Reference, Amazon SQS). */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    const url = /^https:\/\/sqs\.([\w-]+)\.[^/]+\/(\d{12})\/([\w.-]+)$/.exec(String(input.QueueUrl ?? ""));
    if (!url) return ["*"];
    return [`arn:${this.#kernel.partition}:sqs:${url[1]}:${url[2]}:${url[3]}`];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "SendMessage": {
        const message = this.send(
          String(input.QueueUrl),
          String(input.MessageBody ?? ""),
          (input.MessageAttributes ?? {}) as QueuedMessage["MessageAttributes"],
        );
        return {
          MessageId: message.MessageId,
          MD5OfMessageBody: createHash("md5").update(message.Body).digest("hex"),
        };
      }
      case "GetQueueUrl":
        if (!this.#queues.has(`${this.#kernel.clientRegion()}/${String(input.QueueName)}`)) {
          return fail("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
        }
        return { QueueUrl: this.queueUrl(String(input.QueueName), this.#kernel.clientRegion()) };
      default:
        return fail("UnsupportedOperation", `the simulated SQS does not implement ${action}`);
    }
  }
}
