import { fail } from "../errors.ts";
import type { Kernel } from "../kernel.ts";

/** How long a change takes to reach every Route 53 authoritative server (AWS: usually within 60 s). */
export const PROPAGATION_MS = 60_000;

interface RecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  SetIdentifier?: string;
  Failover?: string;
  Weight?: number;
  HealthCheckId?: string;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
}

interface Change {
  Id: string;
  Status: "PENDING" | "INSYNC";
  SubmittedAt: string;
  Comment?: string;
}

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();
const key = (r: { Name: string; Type: string; SetIdentifier?: string }) =>
  `${fqdn(r.Name)}|${r.Type}|${r.SetIdentifier ?? ""}`;
const zoneId = (id: unknown) => String(id ?? "").replace(/^\/hostedzone\//, "");

/**
 * Route 53 (a global service): hosted zones with record sets, changes that are `PENDING`
 * until they propagate a minute of virtual time later (`INSYNC`), and health checks whose
 * status the checkers in several regions report.
 */
export class Route53Service {
  readonly #kernel: Kernel;
  readonly #zones = new Map<string, { name: string; records: Map<string, RecordSet> }>();
  readonly #changes = new Map<string, Change>();
  readonly #healthChecks = new Map<string, { healthy: boolean }>();
  #nextChange = 1;

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  seedZone(id: string, name: string, records: RecordSet[] = []): void {
    const zone = { name: fqdn(name), records: new Map<string, RecordSet>() };
    for (const r of records) zone.records.set(key(r), { ...r, Name: fqdn(r.Name) });
    this.#zones.set(id, zone);
  }

  seedHealthCheck(id: string, healthy: boolean): void {
    this.#healthChecks.set(id, { healthy });
  }

  setHealth(id: string, healthy: boolean): void {
    const check = this.#healthChecks.get(id);
    if (check) check.healthy = healthy;
  }

  /** The values a record answers with now. */
  recordValues(zone: string, name: string, type: string): string[] | undefined {
    const r = this.#zones.get(zone)?.records.get(key({ Name: name, Type: type }));
    return r && (r.ResourceRecords ?? []).map((v) => v.Value);
  }

  /**
   * Record-set actions are authorized on the hosted zone, GetChange on the change;
   * GetHealthCheckStatus supports no resource-level permissions (Service Authorization
   * Reference, Amazon Route 53). Route 53 is global: its ARNs have no region or account.
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const id = (key: string, prefix: RegExp) => String(input[key] ?? "").replace(prefix, "");
    if (action === "ChangeResourceRecordSets" || action === "ListResourceRecordSets")
      return [`arn:${this.#kernel.partition}:route53:::hostedzone/${id("HostedZoneId", /^\/hostedzone\//)}`];
    if (action === "GetChange")
      return [`arn:${this.#kernel.partition}:route53:::change/${id("Id", /^\/change\//)}`];
    return ["*"];
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "ChangeResourceRecordSets":
        return this.#change(input);
      case "GetChange": {
        const id = String(input.Id ?? "").replace(/^\/change\//, "");
        const change = this.#changes.get(id);
        if (!change)
          return fail("NoSuchChange", `A change with the specified change ID does not exist: ${id}`);
        return { ChangeInfo: { ...change, Id: `/change/${change.Id}` } };
      }
      case "ListResourceRecordSets":
        return this.#list(input);
      case "GetHealthCheckStatus": {
        const id = String(input.HealthCheckId ?? "");
        const check = this.#healthChecks.get(id);
        if (!check) return fail("NoSuchHealthCheck", `No health check exists with the specified ID ${id}`);
        const at = this.#kernel.clock.iso();
        const status = check.healthy
          ? "Success: HTTP Status Code 200, OK"
          : "Failure: Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.";
        return {
          HealthCheckObservations: ["us-east-1", "us-west-1", "eu-west-1"].map((region, i) => ({
            Region: region,
            IPAddress: `15.177.${i * 8}.1`,
            StatusReport: { Status: status, CheckedTime: at },
          })),
        };
      }
      default:
        return fail("InvalidAction", `the simulated Route 53 does not implement ${action}`);
    }
  }

  #zone(id: unknown) {
    const zone = this.#zones.get(zoneId(id));
    if (!zone) return fail("NoSuchHostedZone", `No hosted zone found with ID: ${zoneId(id)}`);
    return zone;
  }

  #change(input: Record<string, unknown>): unknown {
    const zone = this.#zone(input.HostedZoneId);
    const batch = (input.ChangeBatch ?? {}) as {
      Changes?: { Action: string; ResourceRecordSet: RecordSet }[];
      Comment?: string;
    };
    const changes = batch.Changes ?? [];
    if (changes.length === 0)
      return fail("InvalidChangeBatch", "ChangeBatch must contain at least one change");
    // All or nothing: check every change before applying any, as Route 53 does.
    const next = new Map(zone.records);
    for (const { Action, ResourceRecordSet: rrs } of changes) {
      const k = key(rrs);
      if (!fqdn(rrs.Name).endsWith(zone.name))
        return fail(
          "InvalidChangeBatch",
          `RRSet with DNS name ${rrs.Name} is not permitted in zone ${zone.name}`,
        );
      if (Action === "CREATE" && next.has(k))
        return fail(
          "InvalidChangeBatch",
          `Tried to create resource record set [name='${fqdn(rrs.Name)}', type='${rrs.Type}'] but it already exists`,
        );
      if (Action === "DELETE" && !next.has(k))
        return fail(
          "InvalidChangeBatch",
          `Tried to delete resource record set [name='${fqdn(rrs.Name)}', type='${rrs.Type}'] but it was not found`,
        );
      if (Action === "DELETE") next.delete(k);
      else next.set(k, { ...rrs, Name: fqdn(rrs.Name) });
    }
    zone.records.clear();
    for (const [k, v] of next) zone.records.set(k, v);
    const change: Change = {
      Id: `C${String(this.#nextChange++).padStart(4, "0")}EXAMPLE${this.#kernel.newId().slice(0, 8).toUpperCase()}`,
      Status: "PENDING",
      SubmittedAt: this.#kernel.clock.iso(),
      ...(batch.Comment ? { Comment: batch.Comment } : {}),
    };
    this.#changes.set(change.Id, change);
    this.#kernel.clock.schedule(PROPAGATION_MS, `route53 change ${change.Id}`, () => {
      change.Status = "INSYNC";
    });
    return { ChangeInfo: { ...change, Id: `/change/${change.Id}` } };
  }

  #list(input: Record<string, unknown>): unknown {
    const zone = this.#zone(input.HostedZoneId);
    const all = [...zone.records.values()].sort((a, b) => key(a).localeCompare(key(b)));
    const startName = input.StartRecordName === undefined ? undefined : fqdn(String(input.StartRecordName));
    const startType = input.StartRecordType === undefined ? undefined : String(input.StartRecordType);
    const from = all.findIndex(
      (r) => !startName || `${r.Name}|${r.Type}` >= `${startName}|${startType ?? ""}`,
    );
    const max = Number(input.MaxItems ?? 300);
    const page = from === -1 ? [] : all.slice(from, from + max);
    const rest = from === -1 ? [] : all.slice(from + max);
    return {
      ResourceRecordSets: page,
      IsTruncated: rest.length > 0,
      MaxItems: String(max),
      ...(rest[0] ? { NextRecordName: rest[0].Name, NextRecordType: rest[0].Type } : {}),
    };
  }
}
