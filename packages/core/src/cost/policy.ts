import type { CostAnomaly } from "./anomaly.ts";
import type { CostConfig, CostRule, CostTier } from "./config.ts";

/** What the policy decided for one anomaly, and why: what the audit log records. */
export type Verdict =
  | { kind: "no-rule"; reason: string }
  | { kind: "below-threshold"; rule: string; reason: string }
  | { kind: "tier"; rule: string; tier: CostTier; rank: number; reason: string };

type Match = CostRule["match"];

/** Each dimension a rule may select on: the anomaly's values for it, and how one is compared. */
const DIMENSIONS: {
  key: Exclude<keyof Match, "tags">;
  values: (a: CostAnomaly) => (string | undefined)[];
  matches: (wanted: string, value: string) => boolean;
}[] = [
  {
    key: "services",
    // A service monitor's dimension value is the service; root causes name services too.
    values: (a) => [a.dimensionValue, ...a.rootCauses.map((c) => c.service)],
    matches: (w, v) => w === v,
  },
  {
    key: "accounts",
    values: (a) => [a.accountId, ...a.rootCauses.map((c) => c.linkedAccount)],
    matches: (w, v) => w === v,
  },
  { key: "regions", values: (a) => a.rootCauses.map((c) => c.region), matches: (w, v) => w === v },
  {
    key: "usageTypes",
    values: (a) => a.rootCauses.map((c) => c.usageType),
    matches: (w, v) => v.startsWith(w),
  },
  { key: "monitors", values: (a) => [a.monitorArn], matches: (w, v) => w === v },
];

function selects(match: Match, anomaly: CostAnomaly): boolean {
  for (const d of DIMENSIONS) {
    const wanted = match[d.key];
    if (!wanted) continue;
    const values = d.values(anomaly).filter((v): v is string => v !== undefined);
    if (!wanted.some((w) => values.some((v) => d.matches(w, v)))) return false;
  }
  if (match.tags) {
    // A cost-allocation-tag monitor reports the tag as "Key:Value"; other anomalies name no tags.
    const [key, ...rest] = (anomaly.dimensionValue ?? "").split(":");
    const value = rest.join(":");
    if (!Object.entries(match.tags).some(([k, v]) => k === key && v === value)) return false;
  }
  return true;
}

const money = (n: number) => `$${n.toFixed(2)}`;

/**
 * The first rule that selects the anomaly decides; it grades the anomaly into its most severe
 * tier whose thresholds the anomaly reaches (tiers are listed from mildest to most severe).
 * A missing impact percentage (AWS omits it for new spend) reaches every percentage threshold.
 */
export function evaluate(cost: CostConfig, anomaly: CostAnomaly): Verdict {
  const rule = cost.rules.find((r) => selects(r.match, anomaly));
  const impact = anomaly.impact.totalImpact;
  const percent = anomaly.impact.totalImpactPercentage;
  const described = `${money(impact)} (${percent === undefined ? "new spend" : `${percent}%`})`;
  if (!rule) {
    return {
      kind: "no-rule",
      reason: `no cost rule selects anomaly ${anomaly.anomalyId} (${anomaly.dimensionValue ?? "no dimension"}, ${described})`,
    };
  }
  let rank = -1;
  rule.tiers.forEach((tier, index) => {
    if (impact >= tier.minImpact && (percent === undefined || percent >= tier.minPercent)) rank = index;
  });
  const tier = rule.tiers[rank];
  if (!tier) {
    const lowest = rule.tiers[0];
    return {
      kind: "below-threshold",
      rule: rule.name,
      reason:
        `rule ${rule.name}: impact ${described} is below its mildest tier` +
        (lowest ? ` (${lowest.name}: ${money(lowest.minImpact)} and ${lowest.minPercent}%)` : "") +
        "; no action",
    };
  }
  return {
    kind: "tier",
    rule: rule.name,
    tier,
    rank,
    reason: `rule ${rule.name}: impact ${described} reaches tier ${tier.name} (${money(tier.minImpact)} and ${tier.minPercent}%)`,
  };
}
