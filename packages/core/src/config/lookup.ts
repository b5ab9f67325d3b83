import type { Config, Deployment, Runbook } from "./schema.ts";

/**
 * What an event names, mapped to the config entries it concerns: built once when a config is
 * loaded, so a trigger or an alarm finds its deployments or runbooks in O(1) however many the
 * config lists, instead of scanning them per event. Lists keep the config's order.
 */
export interface ConfigIndex {
  /** The deployments an ECR push of `repository:tag` deploys (at most one: the config refuses two on one image). */
  imagePush(repository: string, tag: string): readonly Deployment[];
  /** The deployments with `github.repository` equal to `fullName` ("owner/name") and an ECR repository to deploy from. */
  githubRepository(fullName: string): readonly Deployment[];
  /** The deployments `alarmName` guards. */
  guardedBy(alarmName: string): readonly Deployment[];
  /** The failover runbooks whose `triggers.alarms` list `alarmName`. */
  runbooksTriggeredBy(alarmName: string): readonly Runbook[];
}

const NONE: readonly never[] = Object.freeze([]);
const indexes = new WeakMap<Config, ConfigIndex>();

/** Appends `value` under each of `keys`, once per key even when a key repeats. */
function group<T>(entries: Iterable<[keys: readonly string[], value: T]>): Map<string, readonly T[]> {
  const map = new Map<string, T[]>();
  for (const [keys, value] of entries)
    for (const key of new Set(keys)) {
      const list = map.get(key);
      if (list) list.push(value);
      else map.set(key, [value]);
    }
  return map;
}

/** An ECR repository and tag as one key; a repository name never holds ":" (ECR CreateRepository). */
const imageKey = (repository: string, tag: string) => `${repository}:${tag}`;

function buildIndex(config: Config): ConfigIndex {
  const { deployments } = config;
  const images = group(
    deployments.map((d): [string[], Deployment] => [
      d.image?.tag === undefined ? [] : [imageKey(d.image.repository, d.image.tag)],
      d,
    ]),
  );
  const github = group(
    deployments.map((d): [string[], Deployment] => [d.github && d.image ? [d.github.repository] : [], d]),
  );
  const alarms = group(deployments.map((d): [string[], Deployment] => [d.alarms, d]));
  const runbooks = group(config.failover.runbooks.map((r): [string[], Runbook] => [r.triggers.alarms, r]));
  return {
    imagePush: (repository, tag) => images.get(imageKey(repository, tag)) ?? NONE,
    githubRepository: (fullName) => github.get(fullName) ?? NONE,
    guardedBy: (alarmName) => alarms.get(alarmName) ?? NONE,
    runbooksTriggeredBy: (alarmName) => runbooks.get(alarmName) ?? NONE,
  };
}

/**
 * The index of `config`: the one `parseConfig` built when it loaded the config, or, for a config
 * object made another way (a test's literal, a copy), built now and kept for the next event.
 */
export function configIndex(config: Config): ConfigIndex {
  let index = indexes.get(config);
  if (!index) {
    index = buildIndex(config);
    indexes.set(config, index);
  }
  return index;
}
