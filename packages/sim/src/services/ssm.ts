import { fail } from "../errors.ts";
import { field } from "../input.ts";
import type { Kernel } from "../kernel.ts";

interface Parameter {
  name: string;
  region: string;
  type: string;
  value: string;
  version: number;
  modified: string;
}

/**
 * SSM Parameter Store: versioned String parameters, `Overwrite` required to change one. Parameters
 * are regional: a client reads and writes its region's
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-parameter-store.html).
 */
export class SsmService {
  readonly #kernel: Kernel;
  /** By `region/name`. */
  readonly #parameters = new Map<string, Parameter>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  seedParameter(name: string, value: string, region = this.#kernel.region): void {
    this.#parameters.set(`${region}/${name}`, {
      name,
      region,
      type: "String",
      value,
      version: 1,
      modified: this.#kernel.clock.iso(),
    });
  }

  /** A parameter's value in `region`, or in whichever region holds it (tests). */
  value(name: string, region?: string): string | undefined {
    if (region !== undefined) return this.#parameters.get(`${region}/${name}`)?.value;
    return [...this.#parameters.values()].find((p) => p.name === name)?.value;
  }

  /** A parameter's ARN: `parameter/NAME` without NAME's leading slash (Service Authorization Reference, AWS Systems Manager). */
  resourceArns(_action: string, input: Record<string, unknown>): readonly string[] {
    const name = String(field(input, "Name") ?? "");
    const region = this.#parameters.get(name)?.region ?? this.#kernel.clientRegion();
    return [this.#kernel.arn("ssm", `parameter/${name.replace(/^\//, "")}`, region)];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    const name = String(field(input, "Name") ?? "");
    const region = this.#kernel.clientRegion();
    const key = `${region}/${name}`;
    switch (action) {
      case "GetParameter": {
        const p = this.#parameters.get(key);
        if (!p) return fail("ParameterNotFound", `Parameter ${name} not found.`);
        return {
          Parameter: {
            Name: p.name,
            Type: p.type,
            Value: p.value,
            Version: p.version,
            LastModifiedDate: p.modified,
            ARN: this.#kernel.arn("ssm", `parameter${name.startsWith("/") ? "" : "/"}${name}`, p.region),
            DataType: "text",
          },
        };
      }
      case "PutParameter": {
        const existing = this.#parameters.get(key);
        if (existing && input.Overwrite !== true)
          return fail(
            "ParameterAlreadyExists",
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
          );
        const next: Parameter = {
          name,
          region,
          type: String(input.Type ?? existing?.type ?? "String"),
          value: String(input.Value ?? ""),
          version: (existing?.version ?? 0) + 1,
          modified: this.#kernel.clock.iso(),
        };
        this.#parameters.set(key, next);
        return { Version: next.version, Tier: "Standard" };
      }
      default:
        return fail("InvalidAction", `the simulated SSM does not implement ${action}`);
    }
  }
}
