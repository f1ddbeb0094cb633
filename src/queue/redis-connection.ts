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
