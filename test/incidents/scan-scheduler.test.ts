import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { DiagnoseJobData } from "../../src/queue/jobs.js";
import { diagnoseQueueName, scanSchedulerId } from "../../src/queue/names.js";
import { scheduleScans } from "../../src/worker/scan-scheduler.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

const BASE = { SLACK_BOT_TOKEN: "xoxb-test-token-0123456789" };

describe("scan configuration", () => {
  it("defaults to a scan every 15 minutes of every namespace, a policy watch, and a one-hour certificate window", () => {
    const config = loadConfig(BASE, "worker");
    expect(config.scans).toEqual({ intervalMinutes: 15, namespaces: [], watchPolicies: true });
    expect(config.certificateWarningMinutes).toBe(60);
  });

  it("reads the interval, namespaces, watch switch and certificate window, and names every bad value", () => {
    const config = loadConfig({ ...BASE, SCAN_INTERVAL_MINUTES: "0", SCAN_NAMESPACES: "shop, frontend", WATCH_POLICIES: "false", CERT_WARNING_MINUTES: "1440" }, "worker");
    expect(config.scans).toEqual({ intervalMinutes: 0, namespaces: ["shop", "frontend"], watchPolicies: false });
    expect(config.certificateWarningMinutes).toBe(1440);
    try {
      loadConfig({ ...BASE, SCAN_INTERVAL_MINUTES: "-1", SCAN_NAMESPACES: "Shop_1", WATCH_POLICIES: "maybe", CERT_WARNING_MINUTES: "0" }, "worker");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'SCAN_NAMESPACES: "Shop_1" is not a namespace name',
        'WATCH_POLICIES must be true or false, got "maybe"',
        'SCAN_INTERVAL_MINUTES must be a number of minutes (0 turns it off), got "-1"',
        'CERT_WARNING_MINUTES must be a number of minutes above 0, got "0"',
      ]);
    }
  });
});

describe("scheduleScans", () => {
  let server: TestRedis;
  let redis: Redis;
  let queue: Queue<DiagnoseJobData>;

  beforeAll(async () => {
    server = await startTestRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    queue = new Queue<DiagnoseJobData>(diagnoseQueueName("prod"), { connection: redis, prefix: "sched" });
  });

  afterAll(async () => {
    await queue.close();
    await redis.quit();
    await server.close();
  });

  it("keeps one job scheduler per cluster, updated in place, removed with interval 0", async () => {
    await scheduleScans(queue, { cluster: "prod", intervalMs: 15 * 60_000, namespaces: [] });
    await scheduleScans(queue, { cluster: "prod", intervalMs: 5 * 60_000, namespaces: ["shop"] });
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]?.key).toBe(scanSchedulerId("prod"));
    expect(schedulers[0]?.every).toBe(5 * 60_000);
    expect(schedulers[0]?.template?.data?.target).toEqual({ mode: "scan", namespaces: ["shop"] });
    expect(schedulers[0]?.template?.data?.origin).toBe("schedule");
    await scheduleScans(queue, { cluster: "prod", intervalMs: 0, namespaces: [] });
    expect(await queue.getJobSchedulers()).toEqual([]);
  });
});
