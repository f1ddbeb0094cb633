import type { Redis } from "ioredis";
import { whenReady } from "../queue/redis-connection.js";
import type { PreflightItem } from "./preflight-item.js";

const PING_TIMEOUT_MS = 3_000;

/** PING on the connection the process uses; `where` names it without credentials. */
export async function checkRedis(redis: Redis | undefined, where: string, timeoutMs = PING_TIMEOUT_MS): Promise<PreflightItem> {
  if (redis === undefined) {
    return { area: "redis", name: "redis", status: "skipped", required: false, detail: "REDIS_URL (or REDIS_SENTINELS) is not set: not checked" };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs / 1000} s`)), timeoutMs)));
    // A connection just opened is still connecting: give it the same budget as the answer.
    const pong = await Promise.race([whenReady(redis, timeoutMs).then(() => redis.ping()), deadline]);
    return { area: "redis", name: "redis", status: "ok", required: true, detail: `${where} answered ${pong}` };
  } catch (err) {
    return {
      area: "redis",
      name: "redis",
      status: "unknown",
      required: true,
      detail: `${where} did not answer PING: ${(err as Error).message}`,
      impact: "no job reaches the worker and nothing is remembered (pending fixes, approvals, audit)",
      enable: "check REDIS_URL (Helm: redis.url, redis.existingSecret or redis.bundled.enabled=true), the Redis pod, and the NetworkPolicy egress to it",
    };
  } finally {
    clearTimeout(timer);
  }
}
