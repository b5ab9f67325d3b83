import { describe, expect, it } from "vitest";
import { issuesOf } from "./issues.ts";
import { parseConfig } from "./parse.ts";

const runbook = (database: unknown, extra: Record<string, unknown> = {}) => ({
  failover: {
    runbooks: [{ name: "app", primaryRegion: "us-east-1", secondaryRegion: "us-west-2", database, ...extra }],
  },
});

const aurora = {
  kind: "aurora-global",
  globalClusterIdentifier: "app-global",
  primaryCluster: "app-use1",
  secondaryCluster: "app-usw2",
};

describe("a runbook's database part", () => {
  it("accepts a read replica written as before, without a kind", () => {
    const config = parseConfig(runbook({ replica: "app-db-usw2" }));

    expect(config.failover.runbooks[0]?.database).toEqual({ kind: "read-replica", replica: "app-db-usw2" });
  });

  it("accepts an Aurora global database with its primary and secondary clusters", () => {
    const config = parseConfig(runbook(aurora));

    expect(config.failover.runbooks[0]?.database).toEqual(aurora);
  });

  it("accepts an Aurora global database failing back without a replica", () => {
    const config = parseConfig(runbook(aurora, { failback: { dnsValue: "api.us-east-1.example.com" } }));

    expect(config.failover.runbooks[0]?.failback).toEqual({ dnsValue: "api.us-east-1.example.com" });
  });

  it("rejects an unknown kind, naming the kinds there are", () => {
    const issues = issuesOf(runbook({ ...aurora, kind: "dynamodb-global" }));

    expect(issues.join("\n")).toContain('kind must be "read-replica" (the default) or "aurora-global"');
  });

  it("rejects an Aurora global database without its secondary cluster, naming the field", () => {
    const { secondaryCluster: _, ...partial } = aurora;

    const issues = issuesOf(runbook(partial));

    expect(issues.some((i) => i.startsWith("failover.runbooks[0].database.secondaryCluster: "))).toBe(true);
  });

  it("rejects a read replica's failback without the replica to create", () => {
    const issues = issuesOf(
      runbook({ replica: "app-db-usw2" }, { failback: { dnsValue: "api.example.com" } }),
    );

    expect(issues.some((i) => i.startsWith("failover.runbooks[0].failback.replica: missing;"))).toBe(true);
  });
});
