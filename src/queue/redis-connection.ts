import { Redis, type RedisOptions } from "ioredis";
import type { RedisConfig } from "../config.js";

export interface ConnectionOptions {
  /** Fail commands at once while disconnected (the bot must answer Slack within 3 s even when Redis is down). */
  failFast?: boolean;
}

/**
 * A Redis connection for BullMQ and our own state. Workers need `maxRetriesPerRequest: null` (BullMQ
 * blocks on the connection); the bot's connection fails fast instead of queueing commands offline.
 */
export function createRedis(config: RedisConfig, options: ConnectionOptions = {}): Redis {
  const common: RedisOptions = options.failFast
    ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 200, 2_000) }
    : { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 200, 2_000) };
  if (config.sentinels && config.sentinels.length > 0) {
    return new Redis({ ...common, sentinels: config.sentinels, name: config.sentinelName ?? "mymaster" });
  }
  return new Redis(config.url ?? "redis://127.0.0.1:6379", common);
}

/**
 * Resolves once the connection is ready (at once if it is); rejects after `ms`, or at once when the
 * connection was lost and waits to reconnect. A fail-fast connection refuses commands while it
 * connects, so a caller that starts just after start-up waits for it within its own time budget.
 */
export function whenReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  if (redis.status === "reconnecting" || redis.status === "end" || redis.status === "close") {
    return Promise.reject(new Error(`Redis is not connected (${redis.status})`));
  }
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`Redis is not connected (${redis.status}) after ${ms} ms`));
    }, ms);
    redis.once("ready", onReady);
  });
}

/**
 * Closes a connection without hanging on a Redis that is down: QUIT when connected (pending replies
 * arrive first), and in any case a disconnect that stops reconnecting. A queued QUIT on a connection
 * that keeps commands until Redis returns would otherwise wait for ever.
 */
export async function closeRedis(redis: Redis, ms = 1_000): Promise<void> {
  if (redis.status === "ready") {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([redis.quit().catch(() => undefined), deadline]);
    clearTimeout(timer);
  }
  redis.disconnect();
}
