import type { Redis } from "ioredis";
import { parsePreflightSummary, type PreflightSummary } from "../preflight/preflight-summary.js";
import { stateKey } from "./names.js";

export const HEARTBEAT_TTL_SECONDS = 30;
export const HEARTBEAT_INTERVAL_MS = 10_000;

export interface LiveCluster {
  name: string;
  workers: number;
  lastSeen: string;
  /** The preflight of its workers, the worst one when they differ; absent until a worker has run it. */
  preflight?: PreflightSummary;
}

function workerKey(prefix: string, cluster: string, workerId: string): string {
  return stateKey(prefix, "workers", cluster, workerId);
}

function preflightKey(prefix: string, cluster: string, workerId: string): string {
  return stateKey(prefix, "preflight", cluster, workerId);
}

/**
 * Announces a worker for its cluster: a key that expires unless refreshed, and beside it, once the
 * worker has run it, its preflight summary with the same lifetime.
 */
export async function beat(redis: Redis, prefix: string, cluster: string, workerId: string, now = new Date(), preflight?: PreflightSummary): Promise<void> {
  const tx = redis.multi().set(workerKey(prefix, cluster, workerId), now.toISOString(), "EX", HEARTBEAT_TTL_SECONDS);
  if (preflight) tx.set(preflightKey(prefix, cluster, workerId), JSON.stringify(preflight), "EX", HEARTBEAT_TTL_SECONDS);
  const results = await tx.exec();
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (failed) throw failed;
}

export async function forget(redis: Redis, prefix: string, cluster: string, workerId: string): Promise<void> {
  await redis.del(workerKey(prefix, cluster, workerId), preflightKey(prefix, cluster, workerId));
}

/** Not ready is worse than something skipped, which is worse than all well; the later run wins a tie. */
function worse(a: PreflightSummary | undefined, b: PreflightSummary): PreflightSummary {
  if (a === undefined) return b;
  const rank = (s: PreflightSummary) => (!s.ready ? 2 : s.degraded > 0 ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) > rank(b) ? a : b;
  return a.at >= b.at ? a : b;
}

/** Clusters with at least one live worker. */
export async function liveClusters(redis: Redis, prefix: string): Promise<LiveCluster[]> {
  const pattern = stateKey(prefix, "workers", "*");
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  const byCluster = new Map<string, LiveCluster>();
  const values = keys.length > 0 ? await redis.mget(keys) : [];
  const names = keys.map((key) => {
    const parts = key.split(":");
    return { cluster: parts[parts.length - 2] ?? "", workerId: parts[parts.length - 1] ?? "" };
  });
  const preflights = keys.length > 0 ? await redis.mget(names.map((n) => preflightKey(prefix, n.cluster, n.workerId))) : [];
  names.forEach(({ cluster: name }, i) => {
    const seen = values[i] ?? "";
    const entry: LiveCluster = byCluster.get(name) ?? { name, workers: 0, lastSeen: seen };
    entry.workers += 1;
    if (seen > entry.lastSeen) entry.lastSeen = seen;
    const preflight = parsePreflightSummary(preflights[i]);
    if (preflight) entry.preflight = worse(entry.preflight, preflight);
    byCluster.set(name, entry);
  });
  return [...byCluster.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function isClusterLive(redis: Redis, prefix: string, cluster: string): Promise<boolean> {
  return (await liveClusters(redis, prefix)).some((c) => c.name === cluster);
}
