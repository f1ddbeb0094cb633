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

  it("keeps each worker's preflight beside its heartbeat, shows a cluster's worst, and forgets it with the worker", async () => {
    const at = "2026-11-27T12:00:00.000Z";
    const fine = { at, ready: true, blocking: 0, degraded: 0, problems: [] };
    const broken = { at, ready: false, blocking: 1, degraded: 0, problems: [{ name: "get,list pods", required: true, enable: "add a rule" }] };
    await beat(redis, "pre", "prod", "prod-aaaa", new Date(at), fine);
    await beat(redis, "pre", "prod", "prod-bbbb", new Date(at), broken);
    expect((await liveClusters(redis, "pre"))[0]?.preflight).toEqual(broken);
    expect(await redis.ttl("pre:state:preflight:prod:prod-bbbb")).toBeGreaterThan(HEARTBEAT_TTL_SECONDS - 5);
    await forget(redis, "pre", "prod", "prod-bbbb");
    expect(await redis.exists("pre:state:preflight:prod:prod-bbbb")).toBe(0);
    expect((await liveClusters(redis, "pre"))[0]?.preflight).toEqual(fine);
  });

  it("treats a worker whose heartbeat expired as gone", async () => {
    await beat(redis, "expiry", "prod", "prod-eeee");
    await redis.pexpire("expiry:state:workers:prod:prod-eeee", 1);
    await expect.poll(() => liveClusters(redis, "expiry")).toEqual([]);
  });
});
