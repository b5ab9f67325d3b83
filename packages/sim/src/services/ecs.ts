import { fail } from "../errors.ts";
import { field } from "../input.ts";
import type { Kernel } from "../kernel.ts";

/** How long ECS takes to start the tasks a higher desired count asks for. */
export const ECS_SCALE_MS = 60_000;

interface Service {
  cluster: string;
  name: string;
  region: string;
  desired: number;
  running: number;
  tags?: Record<string, string>;
}

/**
 * ECS services: a desired count that running tasks reach after a minute of virtual time. Clusters
 * and services are regional: a client sees its region's.
 */
export class EcsService {
  readonly #kernel: Kernel;
  /** By `region/cluster/service`. */
  readonly #services = new Map<string, Service>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  seedService(options: {
    cluster: string;
    service: string;
    region: string;
    desired: number;
    tags?: Record<string, string>;
  }): void {
    this.#services.set(`${options.region}/${options.cluster}/${options.service}`, {
      cluster: options.cluster,
      name: options.service,
      region: options.region,
      desired: options.desired,
      running: options.desired,
      ...(options.tags ? { tags: { ...options.tags } } : {}),
    });
  }

  service(
    cluster: string,
    service: string,
    region?: string,
  ): { desired: number; running: number } | undefined {
    const s =
      region === undefined
        ? [...this.#services.values()].find((x) => x.cluster === cluster && x.name === service)
        : this.#services.get(`${region}/${cluster}/${service}`);
    return s && { desired: s.desired, running: s.running };
  }

  /**
   * DescribeServices and UpdateService are authorized on each service's ARN; ListServices on
   * none (only the ecs:cluster condition key) (Service Authorization Reference, Amazon ECS).
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const cluster = String(field(input, "Cluster", "cluster") ?? "default");
    const names =
      action === "DescribeServices"
        ? ((field(input, "Services", "services") ?? []) as string[])
        : action === "UpdateService"
          ? [String(field(input, "Service", "service") ?? "")]
          : [];
    if (names.length === 0) return ["*"];
    return names.map((n) => {
      const region = this.#services.get(`${cluster}/${n}`)?.region ?? this.#kernel.clientRegion();
      return this.#kernel.arn("ecs", `service/${cluster}/${n}`, region);
    });
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    const cluster = String(field(input, "Cluster", "cluster") ?? "default");
    const region = this.#kernel.clientRegion();
    const get = (name: string) => this.#services.get(`${region}/${cluster}/${name}`);
    // The cost actions call ECS through the SDK itself, which spells fields in camelCase
    // (Step Functions' integration capitalizes them): answered in the spelling asked in.
    if ("cluster" in input) return this.#sdk(action, cluster, input);
    switch (action) {
      case "DescribeServices": {
        const names = (field(input, "Services", "services") ?? []) as string[];
        const found = names.map((n) => get(n));
        return {
          Services: found.filter((s): s is Service => s !== undefined).map((s) => this.#out(s)),
          Failures: names
            .filter((_, i) => !found[i])
            .map((n) => ({ Arn: this.#arn(cluster, n), Reason: "MISSING" })),
        };
      }
      case "UpdateService": {
        const name = String(field(input, "Service", "service") ?? "");
        const s = get(name);
        if (!s) return fail("ServiceNotFoundException", `Service not found: ${name} in cluster ${cluster}`);
        const desired = Number(field(input, "DesiredCount", "desiredCount") ?? s.desired);
        s.desired = desired;
        this.#kernel.clock.schedule(ECS_SCALE_MS, `ecs ${cluster}/${name} → ${desired}`, () => {
          s.running = s.desired;
        });
        return { Service: this.#out(s) };
      }
      default:
        return fail("InvalidAction", `the simulated ECS does not implement ${action}`);
    }
  }

  #sdk(action: string, cluster: string, input: Record<string, unknown>): unknown {
    const out = (s: Service) => this.#service(s, ((input.include ?? []) as string[]).includes("TAGS"));
    const region = this.#kernel.clientRegion();
    const inCluster = [...this.#services.values()].filter(
      (s) => s.cluster === cluster && s.region === region,
    );
    const named = (ref: string) => this.#services.get(`${region}/${cluster}/${ref.split("/").at(-1)}`);
    switch (action) {
      case "ListServices":
        return { serviceArns: inCluster.map((s) => this.#arn(cluster, s.name)) };
      case "DescribeServices": {
        const refs = (input.services ?? []) as string[];
        return {
          services: refs.flatMap((ref) => {
            const s = named(ref);
            return s ? [out(s)] : [];
          }),
          failures: refs.filter((ref) => !named(ref)).map((ref) => ({ arn: ref, reason: "MISSING" })),
        };
      }
      case "UpdateService": {
        const s = named(String(input.service ?? ""));
        if (!s) return fail("ServiceNotFoundException", `Service not found: ${String(input.service)}`);
        if (typeof input.desiredCount === "number") {
          s.desired = input.desiredCount;
          this.#kernel.clock.schedule(ECS_SCALE_MS, `ecs ${cluster}/${s.name} → ${s.desired}`, () => {
            s.running = s.desired;
          });
        }
        return { service: out(s) };
      }
      default:
        return fail("InvalidAction", `the simulated ECS does not implement ${action}`);
    }
  }

  #arn(cluster: string, name: string): string {
    return this.#kernel.arn("ecs", `service/${cluster}/${name}`, this.#kernel.clientRegion());
  }

  /** A service as ECS describes it, in the SDK's camelCase (its tags only when asked for). */
  #service(s: Service, tags: boolean): Record<string, unknown> {
    return {
      serviceArn: this.#kernel.arn("ecs", `service/${s.cluster}/${s.name}`, s.region),
      serviceName: s.name,
      clusterArn: this.#kernel.arn("ecs", `cluster/${s.cluster}`, s.region),
      status: "ACTIVE",
      desiredCount: s.desired,
      runningCount: s.running,
      pendingCount: Math.max(0, s.desired - s.running),
      ...(tags ? { tags: Object.entries(s.tags ?? {}).map(([key, value]) => ({ key, value })) } : {}),
    };
  }

  /** The same, capitalized as Step Functions' integration answers. */
  #out(s: Service): Record<string, unknown> {
    return Object.fromEntries(
      Object.entries(this.#service(s, false)).map(([key, value]) => [
        key.charAt(0).toUpperCase() + key.slice(1),
        value,
      ]),
    );
  }
}
