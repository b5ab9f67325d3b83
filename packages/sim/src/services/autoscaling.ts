import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

interface Group {
  name: string;
  region: string;
  min: number;
  max: number;
  desired: number;
}

/**
 * EC2 Auto Scaling groups: desired capacity bounded by min and max, as the API enforces. Groups
 * are regional: a client sees its region's groups.
 */
export class AutoScalingService {
  readonly #kernel: Kernel;
  /** By `region/name`. */
  readonly #groups = new Map<string, Group>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  seedGroup(options: { name: string; region: string; min: number; max: number; desired: number }): void {
    this.#groups.set(`${options.region}/${options.name}`, { ...options });
  }

  group(name: string, region?: string): { min: number; max: number; desired: number } | undefined {
    const g =
      region === undefined
        ? [...this.#groups.values()].find((x) => x.name === name)
        : this.#groups.get(`${region}/${name}`);
    return g && { min: g.min, max: g.max, desired: g.desired };
  }

  /**
   * UpdateAutoScalingGroup is authorized on the group's ARN (whose middle part is a UUID, so
   * policies name it `autoScalingGroup:*:autoScalingGroupName/NAME`); Describe actions support
   * no resource-level permissions (Service Authorization Reference, Amazon EC2 Auto Scaling).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    if (action !== "UpdateAutoScalingGroup") return ["*"];
    const name = String(input.AutoScalingGroupName ?? "");
    const region = this.#groups.get(name)?.region ?? this.#kernel.clientRegion();
    const uuid = "5f2c7a1e-0000-4000-8000-000000000000";
    return [this.#kernel.arn("autoscaling", `autoScalingGroup:${uuid}:autoScalingGroupName/${name}`, region)];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    const region = this.#kernel.clientRegion();
    switch (action) {
      case "DescribeAutoScalingGroups": {
        const names = (input.AutoScalingGroupNames ??
          [...this.#groups.values()].filter((g) => g.region === region).map((g) => g.name)) as string[];
        return {
          AutoScalingGroups: names
            .map((n) => this.#groups.get(`${region}/${n}`))
            .filter((g): g is Group => g !== undefined)
            .map((g) => ({
              AutoScalingGroupName: g.name,
              AutoScalingGroupARN: this.#kernel.arn("autoscaling", `autoScalingGroup:${g.name}`, g.region),
              MinSize: g.min,
              MaxSize: g.max,
              DesiredCapacity: g.desired,
              AvailabilityZones: [`${g.region}a`, `${g.region}b`],
            })),
        };
      }
      case "UpdateAutoScalingGroup": {
        const name = String(input.AutoScalingGroupName ?? "");
        const g = this.#groups.get(`${region}/${name}`);
        if (!g) return fail("ValidationError", `AutoScalingGroup name not found - ${name}`);
        const min = input.MinSize === undefined ? g.min : Number(input.MinSize);
        const max = input.MaxSize === undefined ? g.max : Number(input.MaxSize);
        const desired = input.DesiredCapacity === undefined ? g.desired : Number(input.DesiredCapacity);
        if (desired < min || desired > max)
          return fail(
            "ValidationError",
            `Desired capacity:${desired} must be between the specified min size:${min} and max size:${max}`,
          );
        Object.assign(g, { min, max, desired });
        return {};
      }
      default:
        return fail("InvalidAction", `the simulated Auto Scaling does not implement ${action}`);
    }
  }
}
