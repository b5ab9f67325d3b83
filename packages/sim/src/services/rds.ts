import { fail } from "../errors.ts";
import { field } from "../input.ts";
import type { Kernel } from "../kernel.ts";

/** How long a read replica promotion takes on AWS: "a few minutes", depending on the instance. */
export const PROMOTION_MS = 5 * 60_000;
/** How long creating a cross-region replica takes until it is available and caught up (the data copies first). */
export const REPLICA_CREATION_MS = 20 * 60_000;
/** How long an instance spends `stopping` or `starting` (a few minutes on AWS). */
export const STOP_START_MS = 3 * 60_000;

/**
 * How long an Aurora global database switchover or failover takes on the virtual clock (AWS:
 * "typically a minute or two" once the secondary has caught up).
 */
export const GLOBAL_SWITCH_MS = 2 * 60_000;

interface GlobalCluster {
  id: string;
  engine: string;
  status: "available" | "switching-over" | "failing-over";
  /** One Aurora DB cluster per region; exactly one writer. `lagMs` is a reader's AuroraGlobalDBReplicationLag. */
  members: { id: string; region: string; writer: boolean; lagMs: number }[];
}

type Status =
  | "available"
  | "modifying"
  | "backing-up"
  | "rebooting"
  | "creating"
  | "stopping"
  | "stopped"
  | "starting";

interface DbInstance {
  id: string;
  region: string;
  engine: string;
  status: Status;
  /** Identifier of the instance this one replicates; absent for a primary (or a promoted replica). */
  source?: string;
  /** Seconds the replica trails its source; what CloudWatch's AWS/RDS ReplicaLag reports. */
  lagSeconds?: number;
  endpoint: string;
  tags?: Record<string, string>;
  /** Storage encrypted with this KMS key (an ARN or alias in the instance's region). */
  kmsKeyId?: string;
  dbSubnetGroup?: string;
}

/**
 * RDS DB instances, each in one region: a client sees only its region's instances (an
 * identifier is unique per account and Region, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html).
 * Promotion takes virtual minutes: `modifying`, then `available` without a replication source.
 * Replica lag is kept per replica and published as the AWS/RDS ReplicaLag metric in the
 * replica's region. Aurora global databases span regions: each member region sees them.
 *
 * Shapes follow Step Functions' AWS SDK integration, which is how Switchyard calls RDS
 * (`DbInstanceIdentifier`, `DbInstances`, ...; the RDS API's own `DBInstanceIdentifier` is
 * accepted too).
 */
export class RdsService {
  readonly #kernel: Kernel;
  /** By `region/identifier`. */
  readonly #instances = new Map<string, DbInstance>();
  readonly #globalClusters = new Map<string, GlobalCluster>();

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
    // RDS publishes each replica's lag to CloudWatch, as on AWS: ReplicaLag per read replica (in
    // seconds), AuroraGlobalDBReplicationLag per secondary cluster of a global database (in ms).
    kernel.registerMetricSource({
      namespace: "AWS/RDS",
      metricName: "ReplicaLag",
      sample: (dimensions) => {
        // CloudWatch asks in the region of the client that reads the metric: RDS publishes a
        // replica's metrics in the replica's region only.
        const id = dimensions.DBInstanceIdentifier;
        const db = id === undefined ? undefined : this.#instances.get(this.#key(kernel.clientRegion(), id));
        return db?.source !== undefined && db.lagSeconds !== undefined
          ? { value: db.lagSeconds, unit: "Seconds" }
          : undefined;
      },
    });
    kernel.registerMetricSource({
      namespace: "AWS/RDS",
      metricName: "AuroraGlobalDBReplicationLag",
      sample: (dimensions) => {
        const id = dimensions.DBClusterIdentifier;
        const reader = [...this.#globalClusters.values()]
          .flatMap((g) => g.members)
          .find((m) => m.id === id && !m.writer && m.region === kernel.clientRegion());
        return reader && { value: reader.lagMs, unit: "Milliseconds" };
      },
    });
  }

  seedInstance(options: {
    id: string;
    region: string;
    engine?: string;
    source?: string;
    lagSeconds?: number;
    tags?: Record<string, string>;
    /** Encrypted storage with this KMS key. */
    kmsKeyId?: string;
  }): void {
    this.#instances.set(this.#key(options.region, options.id), {
      id: options.id,
      region: options.region,
      engine: options.engine ?? "postgres",
      status: "available",
      ...(options.source ? { source: options.source, lagSeconds: options.lagSeconds ?? 0 } : {}),
      endpoint: `${options.id}.c9akciq32.${options.region}.rds.amazonaws.com`,
      ...(options.tags ? { tags: { ...options.tags } } : {}),
      ...(options.kmsKeyId ? { kmsKeyId: options.kmsKeyId } : {}),
    });
  }

  /** An Aurora global database: `writer` is the primary cluster, `readers` the secondaries (cluster ids unique across regions). */
  seedGlobalCluster(options: {
    id: string;
    engine?: string;
    writer: { cluster: string; region: string };
    readers: { cluster: string; region: string; lagMs?: number }[];
  }): void {
    this.#globalClusters.set(options.id, {
      id: options.id,
      engine: options.engine ?? "aurora-postgresql",
      status: "available",
      members: [
        { id: options.writer.cluster, region: options.writer.region, writer: true, lagMs: 0 },
        ...options.readers.map((r) => ({
          id: r.cluster,
          region: r.region,
          writer: false,
          lagMs: r.lagMs ?? 0,
        })),
      ],
    });
  }

  /** Which cluster writes, and the global database's status (for tests and scenarios). */
  describeGlobalCluster(id: string): { status: string; writer: string | undefined } | undefined {
    const global = this.#globalClusters.get(id);
    return global && { status: global.status, writer: global.members.find((m) => m.writer)?.id };
  }

  /** Sets a replica's lag, as replication falls behind or catches up. */
  setReplicaLag(id: string, seconds: number): void {
    const db = this.#find(id) ?? fail("DBInstanceNotFound", `DBInstance ${id} not found.`);
    if (db.source) db.lagSeconds = seconds;
  }

  /** Re-establishes replication of `id` from `source` (what failback's resync achieves). */
  replicate(id: string, source: string, lagSeconds = 0): void {
    const db = this.#find(id) ?? fail("DBInstanceNotFound", `DBInstance ${id} not found.`);
    db.source = source;
    db.lagSeconds = lagSeconds;
    db.status = "available";
  }

  /** An instance by identifier, in `region` or (for tests) in whichever region holds it. */
  describe(
    id: string,
    region?: string,
  ):
    | {
        status: string;
        source?: string;
        region: string;
        lagSeconds?: number;
        kmsKeyId?: string;
        dbSubnetGroup?: string;
      }
    | undefined {
    const db = region === undefined ? this.#find(id) : this.#instances.get(this.#key(region, id));
    return (
      db && {
        status: db.status,
        region: db.region,
        ...(db.source ? { source: db.source } : {}),
        ...(db.lagSeconds !== undefined ? { lagSeconds: db.lagSeconds } : {}),
        ...(db.kmsKeyId ? { kmsKeyId: db.kmsKeyId } : {}),
        ...(db.dbSubnetGroup ? { dbSubnetGroup: db.dbSubnetGroup } : {}),
      }
    );
  }

  /**
   * Instance actions are authorized on the instance (`db:ID` in its region; `db:*` for a
   * DescribeDBInstances naming none), global-cluster actions on the global cluster and the
   * target member cluster. CreateDBInstanceReadReplica is authorized on the new replica in the
   * destination region and on its source: for a cross-region replica RDS calls the source region
   * with the caller's credentials (Service Authorization Reference, Amazon RDS; RDS User Guide,
   * "Creating a read replica in a different AWS Region").
   */
  resourceArns(action: string, input: Record<string, unknown>): readonly string[] {
    const region = this.#kernel.clientRegion();
    const db = (ref: string) =>
      ref.startsWith("arn:")
        ? ref
        : this.#kernel.arn("rds", `db:${ref}`, this.#instances.get(ref)?.region ?? region);
    const id = field(input, "DbInstanceIdentifier", "DBInstanceIdentifier");
    switch (action) {
      case "DescribeDBInstances":
        return [id === undefined ? this.#kernel.arn("rds", "db:*", region) : db(String(id))];
      case "CreateDBInstanceReadReplica": {
        const zone = field(input, "AvailabilityZone");
        const at = typeof zone === "string" ? zone.replace(/[a-z]$/, "") : region;
        return [
          this.#kernel.arn("rds", `db:${String(id ?? "")}`, at),
          db(String(field(input, "SourceDBInstanceIdentifier") ?? "")),
        ];
      }
      case "DescribeGlobalClusters":
      case "SwitchoverGlobalCluster":
      case "FailoverGlobalCluster": {
        const global = field(input, "GlobalClusterIdentifier");
        if (global === undefined) return ["*"];
        const target = field(input, "TargetDbClusterIdentifier");
        return [
          this.#kernel.arn("rds", `global-cluster:${String(global)}`, ""),
          ...(typeof target === "string" ? [target] : []),
        ];
      }
      default:
        return id === undefined ? ["*"] : [db(String(id))];
    }
  }

  handle(action: string, input: Record<string, unknown>): unknown {
    switch (action) {
      case "DescribeDBInstances": {
        const id = field(input, "DbInstanceIdentifier", "DBInstanceIdentifier");
        const region = this.#kernel.clientRegion();
        const list =
          id === undefined
            ? [...this.#instances.values()].filter((db) => db.region === region)
            : [this.#get(String(id))];
        // The cost actions call RDS through the SDK itself, which spells it DBInstances (with
        // TagList); Step Functions' integration spells it DbInstances. A list of all answers both.
        if (input.DBInstanceIdentifier !== undefined)
          return { DBInstances: list.map((db) => this.#sdkOut(db)) };
        return {
          DbInstances: list.map((db) => this.#out(db)),
          ...(id === undefined ? { DBInstances: list.map((db) => this.#sdkOut(db)) } : {}),
        };
      }
      case "StopDBInstance":
        return this.#stopStart(
          String(field(input, "DBInstanceIdentifier") ?? ""),
          "available",
          "stopping",
          "stopped",
        );
      case "StartDBInstance":
        return this.#stopStart(
          String(field(input, "DBInstanceIdentifier") ?? ""),
          "stopped",
          "starting",
          "available",
        );
      case "CreateDBInstanceReadReplica":
        return this.#createReplica(input);
      case "PromoteReadReplica": {
        const db = this.#promote(String(field(input, "DbInstanceIdentifier", "DBInstanceIdentifier") ?? ""));
        return input.DBInstanceIdentifier !== undefined
          ? { DBInstance: this.#sdkOut(db) }
          : { DbInstance: this.#out(db) };
      }
      case "DescribeGlobalClusters": {
        const id = field(input, "GlobalClusterIdentifier");
        const list =
          id === undefined
            ? [...this.#globalClusters.values()].filter((g) => this.#visible(g))
            : [this.#global(String(id))];
        return { GlobalClusters: list.map((g) => this.#globalOut(g)) };
      }
      case "SwitchoverGlobalCluster":
        return this.#switchGlobal(input, "switching-over");
      case "FailoverGlobalCluster":
        return this.#switchGlobal(input, "failing-over");
      default:
        return fail("InvalidAction", `the simulated RDS does not implement ${action}`);
    }
  }

  /**
   * A read replica, created in the region of the client that asks (the destination region):
   * `creating` until the data has copied, then `available` and caught up. A source in another
   * region is named by its ARN; an encrypted source needs `KmsKeyId`, a key of the destination
   * region, since KMS keys are regional
   * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html:
   * SourceDBInstanceIdentifier, KmsKeyId, DBSubnetGroupName;
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html).
   */
  #createReplica(input: Record<string, unknown>): unknown {
    const region = this.#kernel.clientRegion();
    const id = String(field(input, "DbInstanceIdentifier", "DBInstanceIdentifier") ?? "");
    if (this.#instances.has(this.#key(region, id)))
      return fail("DBInstanceAlreadyExists", `DB instance already exists: ${id}`);
    const sourceRef = String(field(input, "SourceDBInstanceIdentifier") ?? "");
    const arn = /^arn:aws[\w-]*:rds:([\w-]+):\d{12}:db:(.+)$/.exec(sourceRef);
    const sourceRegion = arn?.[1] ?? region;
    const source = this.#instances.get(this.#key(sourceRegion, arn?.[2] ?? sourceRef));
    if (!source)
      return fail(
        "DBInstanceNotFound",
        sourceRegion === region && !arn
          ? `DBInstance ${sourceRef} not found in ${region}: a source in another region is named by its ARN.`
          : `DBInstance ${sourceRef} not found.`,
      );
    const zone = field(input, "AvailabilityZone");
    if (zone !== undefined && String(zone).replace(/[a-z]$/, "") !== region)
      return fail("InvalidParameterValue", `AvailabilityZone ${String(zone)} is not in ${region}.`);
    const kmsKeyId = field(input, "KmsKeyId");
    const crossRegion = sourceRegion !== region;
    if (crossRegion && source.kmsKeyId && kmsKeyId === undefined)
      return fail(
        "InvalidParameterCombination",
        `Source DB instance ${source.id} is encrypted: a cross-region read replica needs KmsKeyId, a KMS key in ${region}.`,
      );
    const subnetGroup = field(input, "DBSubnetGroupName");
    const db: DbInstance = {
      id,
      region,
      engine: source.engine,
      status: "creating",
      source: this.#kernel.arn("rds", `db:${source.id}`, source.region),
      lagSeconds: 3600,
      endpoint: `${id}.c9akciq32.${region}.rds.amazonaws.com`,
      // In-region, the replica keeps the source's key; across regions, the key given.
      ...(source.kmsKeyId ? { kmsKeyId: crossRegion ? String(kmsKeyId) : source.kmsKeyId } : {}),
      ...(subnetGroup !== undefined ? { dbSubnetGroup: String(subnetGroup) } : {}),
    };
    this.#instances.set(this.#key(region, id), db);
    this.#kernel.clock.schedule(REPLICA_CREATION_MS, `rds create replica ${id}`, () => {
      db.status = "available";
      db.lagSeconds = 1;
    });
    return input.DBInstanceIdentifier !== undefined
      ? { DBInstance: this.#sdkOut(db) }
      : { DbInstance: this.#out(db) };
  }

  /**
   * Makes the target cluster the writer after GLOBAL_SWITCH_MS. A switchover (planned) loses
   * nothing; a failover (unplanned) needs AllowDataLoss and loses what the target lagged by.
   */
  #switchGlobal(input: Record<string, unknown>, via: GlobalCluster["status"]): unknown {
    const global = this.#global(String(field(input, "GlobalClusterIdentifier") ?? ""));
    const target = String(field(input, "TargetDbClusterIdentifier") ?? "");
    const member = global.members.find((m) => m.id === target || this.#clusterArn(m) === target);
    if (!member)
      return fail("DBClusterNotFoundFault", `DBCluster ${target} is not a member of ${global.id}.`);
    if (via === "failing-over" && field(input, "AllowDataLoss") !== true)
      return fail(
        "InvalidParameterCombination",
        "FailoverGlobalCluster needs AllowDataLoss (or Switchover) to be true",
      );
    if (global.status !== "available")
      return fail("InvalidGlobalClusterStateFault", `Global cluster ${global.id} is ${global.status}.`);
    if (member.writer)
      return fail(
        "InvalidGlobalClusterStateFault",
        `DBCluster ${target} is already the primary of ${global.id}.`,
      );
    global.status = via;
    this.#kernel.clock.schedule(GLOBAL_SWITCH_MS, `rds ${via} ${global.id} → ${member.id}`, () => {
      for (const m of global.members) {
        m.writer = m === member;
        m.lagMs = 0;
      }
      global.status = "available";
    });
    return { GlobalCluster: this.#globalOut(global) };
  }

  /** A global database, seen from a region that holds one of its clusters. */
  #global(id: string): GlobalCluster {
    const global = this.#globalClusters.get(id);
    if (!global || !this.#visible(global))
      return fail("GlobalClusterNotFoundFault", `Global cluster ${id} not found.`);
    return global;
  }

  #visible(global: GlobalCluster): boolean {
    const region = this.#kernel.clientRegion();
    return global.members.some((m) => m.region === region);
  }

  #clusterArn(m: GlobalCluster["members"][number]): string {
    return this.#kernel.arn("rds", `cluster:${m.id}`, m.region);
  }

  /**
   * Step Functions' spelling (the Java SDK's: DbClusterArn) and the JavaScript SDK's
   * (DBClusterArn): the input does not tell them apart, so each member carries both.
   */
  #globalOut(g: GlobalCluster): Record<string, unknown> {
    return {
      GlobalClusterIdentifier: g.id,
      GlobalClusterArn: this.#kernel.arn("rds", `global-cluster:${g.id}`, ""),
      Status: g.status,
      Engine: g.engine,
      GlobalClusterMembers: g.members.map((m) => ({
        DbClusterArn: this.#clusterArn(m),
        DBClusterArn: this.#clusterArn(m),
        IsWriter: m.writer,
        Readers: m.writer ? g.members.filter((r) => !r.writer).map((r) => this.#clusterArn(r)) : [],
      })),
    };
  }

  #promote(id: string): DbInstance {
    const db = this.#get(id);
    if (!db.source)
      return fail("InvalidDBInstanceState", `DB instance ${id} is not a read replica: it cannot be promoted`);
    if (db.status !== "available")
      return fail("InvalidDBInstanceState", `DB instance ${id} is ${db.status}, not available`);
    db.status = "modifying";
    this.#kernel.clock.schedule(PROMOTION_MS, `rds promote ${id}`, () => {
      delete db.source;
      delete db.lagSeconds;
      db.status = "available";
    });
    return db;
  }

  /** Stop or start, as the SDK asks; RDS refuses either unless the instance is in `from`, and refuses to stop a replica. */
  #stopStart(id: string, from: Status, via: Status, to: Status): unknown {
    const db = this.#get(id);
    if (db.source && via === "stopping")
      return fail("InvalidDBInstanceState", `DB instance ${id} is a read replica: it cannot be stopped`);
    if (db.status !== from) return fail("InvalidDBInstanceState", `Instance ${id} is not in ${from} state.`);
    db.status = via;
    this.#kernel.clock.schedule(STOP_START_MS, `rds ${id} ${via} → ${to}`, () => {
      if (db.status === via) db.status = to;
    });
    return { DBInstance: this.#sdkOut(db) };
  }

  /** The SDK's own shape (DescribeDBInstances, StopDBInstance, StartDBInstance through RDSClient). */
  #sdkOut(db: DbInstance): Record<string, unknown> {
    return {
      DBInstanceIdentifier: db.id,
      DBInstanceArn: this.#kernel.arn("rds", `db:${db.id}`, db.region),
      DBInstanceStatus: db.status,
      Engine: db.engine,
      AvailabilityZone: `${db.region}a`,
      Endpoint: { Address: db.endpoint, Port: 5432 },
      ...(db.source ? { ReadReplicaSourceDBInstanceIdentifier: db.source } : {}),
      StorageEncrypted: db.kmsKeyId !== undefined,
      ...(db.kmsKeyId ? { KmsKeyId: db.kmsKeyId } : {}),
      ...(db.dbSubnetGroup ? { DBSubnetGroup: { DBSubnetGroupName: db.dbSubnetGroup } } : {}),
      TagList: Object.entries(db.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
    };
  }

  #key(region: string, id: string): string {
    return `${region}/${id}`;
  }

  /** An instance in the calling client's region. */
  #get(id: string): DbInstance {
    const db = this.#instances.get(this.#key(this.#kernel.clientRegion(), id));
    if (!db) return fail("DBInstanceNotFound", `DBInstance ${id} not found.`);
    return db;
  }

  /** An instance by identifier in any region (seeding and tests). */
  #find(id: string): DbInstance | undefined {
    return [...this.#instances.values()].find((db) => db.id === id);
  }

  #out(db: DbInstance): Record<string, unknown> {
    return {
      DbInstanceIdentifier: db.id,
      DbInstanceArn: this.#kernel.arn("rds", `db:${db.id}`, db.region),
      DbInstanceStatus: db.status,
      Engine: db.engine,
      AvailabilityZone: `${db.region}a`,
      Endpoint: { Address: db.endpoint, Port: 5432 },
      ...(db.source ? { ReadReplicaSourceDBInstanceIdentifier: db.source } : {}),
    };
  }
}
