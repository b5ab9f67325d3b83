import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

/** How long an instance spends `stopping` or `pending` before it is `stopped` or `running`. */
export const EC2_TRANSITION_MS = 30_000;

type State = "pending" | "running" | "stopping" | "stopped" | "terminated";

/** EC2's instance state codes (DescribeInstances, InstanceState.Code). */
const CODES: Record<State, number> = { pending: 0, running: 16, stopping: 64, stopped: 80, terminated: 48 };

interface Instance {
  id: string;
  region: string;
  type: string;
  state: State;
  tags: Record<string, string>;
}

interface Filter {
  Name?: string;
  Values?: string[];
}

/**
 * EC2 instances, by region: a client sees and acts on its region's instances only
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html). Answering in the SDK's shape (`Reservations`,
 * `Instances`, `State`, `Tags`). Stop and start take virtual time, as on AWS: `stopping` then
 * `stopped`, `pending` then `running`, each after EC2_TRANSITION_MS on the virtual clock.
 */
export class Ec2Service {
  readonly #kernel: Kernel;
  /** By `region/id`. */
  readonly #instances = new Map<string, Instance>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  seedInstance(options: {
    id: string;
    tags?: Record<string, string>;
    state?: State;
    type?: string;
    /** The account's region by default. */
    region?: string;
  }): void {
    const region = options.region ?? this.#kernel.region;
    this.#instances.set(`${region}/${options.id}`, {
      id: options.id,
      region,
      type: options.type ?? "t3.medium",
      state: options.state ?? "running",
      tags: { ...options.tags },
    });
  }

  state(id: string, region = this.#kernel.region): State | undefined {
    return this.#instances.get(`${region}/${id}`)?.state;
  }

  /**
   * StartInstances and StopInstances are authorized on each instance; Describe actions support
   * no resource-level permissions (Service Authorization Reference, Amazon EC2).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    if (action !== "StartInstances" && action !== "StopInstances") return ["*"];
    return ((input.InstanceIds ?? []) as string[]).map((id) =>
      this.#kernel.arn("ec2", `instance/${id}`, this.#kernel.clientRegion()),
    );
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "DescribeInstances":
        return this.#describe(input);
      case "StopInstances":
        return {
          StoppingInstances: this.#ids(input).map((id) => this.#move(id, "running", "stopping", "stopped")),
        };
      case "StartInstances":
        return {
          StartingInstances: this.#ids(input).map((id) => this.#move(id, "stopped", "pending", "running")),
        };
      default:
        return fail("InvalidAction", `the simulated EC2 does not implement ${action}`);
    }
  }

  #ids(input: Record<string, unknown>): string[] {
    const ids = (input.InstanceIds ?? []) as string[];
    for (const id of ids) this.#get(id);
    return ids;
  }

  #describe(input: Record<string, unknown>): unknown {
    const ids = input.InstanceIds as string[] | undefined;
    const filters = (input.Filters ?? []) as Filter[];
    const region = this.#kernel.clientRegion();
    const here = [...this.#instances.values()].filter((i) => i.region === region);
    const selected = (ids ? ids.map((id) => this.#get(id)) : here).filter((i) =>
      filters.every((f) => matches(i, f)),
    );
    return {
      Reservations: selected.map((i) => ({
        ReservationId: `r-${i.id.slice(2)}`,
        OwnerId: this.#kernel.accountId,
        Instances: [
          {
            InstanceId: i.id,
            InstanceType: i.type,
            State: { Code: CODES[i.state], Name: i.state },
            Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
          },
        ],
      })),
    };
  }

  /**
   * Stop (from running) or start (from stopped); asking for the state the instance is already
   * in or heading to changes nothing, as on AWS; any other state is refused.
   */
  #move(id: string, from: State, via: State, to: State): Record<string, unknown> {
    const instance = this.#get(id);
    const previous = instance.state;
    if (previous === from) {
      instance.state = via;
      this.#kernel.clock.schedule(EC2_TRANSITION_MS, `ec2 ${id} ${via} → ${to}`, () => {
        if (instance.state === via) instance.state = to;
      });
    } else if (previous !== via && previous !== to) {
      fail(
        "IncorrectInstanceState",
        `The instance '${id}' is not in a state from which it can be ${to === "stopped" ? "stopped" : "started"}.`,
      );
    }
    return {
      InstanceId: id,
      PreviousState: { Code: CODES[previous], Name: previous },
      CurrentState: { Code: CODES[instance.state], Name: instance.state },
    };
  }

  #get(id: string): Instance {
    const instance = this.#instances.get(`${this.#kernel.clientRegion()}/${id}`);
    if (!instance) return fail("InvalidInstanceID.NotFound", `The instance ID '${id}' does not exist`);
    return instance;
  }
}

function matches(instance: Instance, filter: Filter): boolean {
  const name = filter.Name ?? "";
  const values = filter.Values ?? [];
  if (name === "instance-state-name") return values.includes(instance.state);
  if (name === "tag-key") return values.some((key) => key in instance.tags);
  if (name.startsWith("tag:")) {
    const value = instance.tags[name.slice(4)];
    return value !== undefined && values.includes(value);
  }
  return fail(
    "InvalidParameterValue",
    `The filter '${name}' is invalid (the simulated EC2 knows tag:, tag-key, instance-state-name)`,
  );
}
