import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { CHANNEL, jobCounts, opsUrl, parentPost, QUEUE_PREFIX, sendCommand, startPipeline, verdictUpdate, type Pipeline } from "./pipeline-harness.js";

let pipeline: Pipeline | undefined;
let redis: TestRedis | undefined;
afterEach(async () => {
  await pipeline?.stop();
  await redis?.close();
  pipeline = undefined;
  redis = undefined;
});

async function workerKeys(url: string): Promise<string[]> {
  const client = new Redis(url);
  try {
    return await client.keys(`${QUEUE_PREFIX}:state:workers:*`);
  } finally {
    client.disconnect();
  }
}

describe("ops endpoints", () => {
  it("serves /healthz, /readyz and Prometheus metrics for commands, jobs, durations and findings", async () => {
    pipeline = await startPipeline();
    const p = pipeline;
    expect((await fetch(opsUrl(p, "/healthz"))).status).toBe(200);
    expect((await fetch(opsUrl(p, "/readyz"))).status).toBe(200);
    await sendCommand(p, "check storefront.shop from checkout");
    const parent = await p.slack.waitFor((calls) => parentPost(calls), 5_000);
    await p.slack.waitFor((calls) => verdictUpdate(calls, String(parent.response?.["ts"])), 15_000);
    await sendCommand(p, "help");

    const response = await fetch(opsUrl(p, "/metrics"));
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const metrics = await response.text();
    const value = (pattern: string) => Number(new RegExp(`^${pattern} (\\S+)$`, "m").exec(metrics)?.[1]);
    expect(value('mtls_doctor_commands_total\\{command="check",outcome="queued"\\}')).toBe(1);
    expect(value('mtls_doctor_commands_total\\{command="help",outcome="ok"\\}')).toBe(1);
    await expect.poll(async () => /^mtls_doctor_jobs_total\{queue="diagnose-prod",status="completed"\} 1$/m.test(await (await fetch(opsUrl(p, "/metrics"))).text())).toBe(true);
    expect(value('mtls_doctor_job_duration_seconds_count\\{queue="diagnose"\\}')).toBe(1);
    expect(value('mtls_doctor_findings_total\\{code="MTLS203",severity="critical"\\}')).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^# TYPE mtls_doctor_job_duration_seconds histogram$/m);
    expect((await fetch(opsUrl(p, "/nope"))).status).toBe(404);
  });
});

describe("graceful shutdown", () => {
  it("on stop, lets the running job finish, reports not ready meanwhile, and removes the worker's heartbeat", async () => {
    redis = await startTestRedis();
    // A slow API server keeps the job running while the process is told to stop.
    pipeline = await startPipeline({ redis, kube: { latencyMs: 60 } });
    const p = pipeline;
    expect(await workerKeys(redis.url)).toHaveLength(1);
    await sendCommand(p, "check storefront.shop from checkout");
    const parent = await p.slack.waitFor((calls) => parentPost(calls), 5_000);
    const parentTs = String(parent.response?.["ts"]);
    await p.slack.waitFor((calls) => calls.some((c) => c.method === "chat.update" && c.body["ts"] === parentTs), 5_000);
    expect(verdictUpdate(p.slack.calls, parentTs)).toBeUndefined();

    const stopped = p.stop();
    expect((await fetch(opsUrl(p, "/readyz"))).status).toBe(503);
    expect(await stopped).toBe(0);

    // The job ran to the end before the process exited.
    expect(verdictUpdate(p.slack.calls, parentTs)).toBeDefined();
    expect(p.slack.threadReplies(CHANNEL, parentTs).length).toBeGreaterThan(2);
    expect(await jobCounts(redis.url)).toMatchObject({ completed: 1, active: 0, waiting: 0, failed: 0 });
    expect(await workerKeys(redis.url)).toEqual([]);
  });

  it("stops promptly when Redis is down, instead of waiting for it to return", async () => {
    pipeline = await startPipeline();
    await pipeline.redis.stop();
    const started = Date.now();
    expect(await pipeline.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
