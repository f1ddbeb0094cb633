import type { Redis } from "ioredis";
import { stateKey } from "./names.js";

export const HEARTBEAT_TTL_SECONDS = 30;
export const HEARTBEAT_INTERVAL_MS = 10_000;

export interface LiveCluster {
  name: string;
  workers: number;
  lastSeen: string;
}

function workerKey(prefix: string, cluster: string, workerId: string): string {
  return stateKey(prefix, "workers", cluster, workerId);
}

/** Announces a worker for its cluster: a key that expires unless refreshed. */
export async function beat(redis: Redis, prefix: string, cluster: string, workerId: string, now = new Date()): Promise<void> {
  await redis.set(workerKey(prefix, cluster, workerId), now.toISOString(), "EX", HEARTBEAT_TTL_SECONDS);
}

export async function forget(redis: Redis, prefix: string, cluster: string, workerId: string): Promise<void> {
  await redis.del(workerKey(prefix, cluster, workerId));
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
  keys.forEach((key, i) => {
    const parts = key.split(":");
    const name = parts[parts.length - 2] ?? "";
    const seen = values[i] ?? "";
    const entry = byCluster.get(name) ?? { name, workers: 0, lastSeen: seen };
    entry.workers += 1;
    if (seen > entry.lastSeen) entry.lastSeen = seen;
    byCluster.set(name, entry);
  });
  return [...byCluster.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function isClusterLive(redis: Redis, prefix: string, cluster: string): Promise<boolean> {
  return (await liveClusters(redis, prefix)).some((c) => c.name === cluster);
}
