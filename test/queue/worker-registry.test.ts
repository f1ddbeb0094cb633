import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beat, forget, HEARTBEAT_TTL_SECONDS, isClusterLive, liveClusters } from "../../src/queue/worker-registry.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

let server: TestRedis;
let redis: Redis;
beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});

describe("worker heartbeats", () => {
  it("lists each cluster once with its live workers and latest heartbeat, and forgets a worker that left", async () => {
    await beat(redis, "reg", "prod", "prod-aaaa", new Date("2026-11-27T12:00:00Z"));
    await beat(redis, "reg", "prod", "prod-bbbb", new Date("2026-11-27T12:00:05Z"));
    await beat(redis, "reg", "eu-west-1", "eu-west-1-cccc", new Date("2026-11-27T12:00:01Z"));
    await beat(redis, "other", "staging", "staging-dddd");
    expect(await liveClusters(redis, "reg")).toEqual([
      { name: "eu-west-1", workers: 1, lastSeen: "2026-11-27T12:00:01.000Z" },
      { name: "prod", workers: 2, lastSeen: "2026-11-27T12:00:05.000Z" },
    ]);
    const ttl = await redis.ttl("reg:state:workers:prod:prod-aaaa");
    expect(ttl).toBeGreaterThan(HEARTBEAT_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(HEARTBEAT_TTL_SECONDS);

    await forget(redis, "reg", "eu-west-1", "eu-west-1-cccc");
    expect(await isClusterLive(redis, "reg", "eu-west-1")).toBe(false);
    expect(await isClusterLive(redis, "reg", "prod")).toBe(true);
  });

  it("treats a worker whose heartbeat expired as gone", async () => {
    await beat(redis, "expiry", "prod", "prod-eeee");
    await redis.pexpire("expiry:state:workers:prod:prod-eeee", 1);
    await expect.poll(() => liveClusters(redis, "expiry")).toEqual([]);
  });
});
