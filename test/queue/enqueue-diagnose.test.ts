import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEDUPE_WINDOW_MS, enqueueDiagnose, publishAnswer, releaseRequest, requestKeyOf } from "../../src/queue/enqueue-diagnose.js";
import type { DiagnoseJobData, DiagnoseTarget } from "../../src/queue/jobs.js";
import { diagnoseQueueName } from "../../src/queue/names.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

let server: TestRedis;
let redis: Redis;
let queue: Queue<DiagnoseJobData>;
let prefix: string;
let sequence = 0;

beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await server.close();
});
afterEach(async () => {
  await queue.close();
});

/** A fresh queue under a fresh prefix: every test sees an empty Redis. */
function freshQueue(): void {
  sequence += 1;
  prefix = `t${sequence}`;
  queue = new Queue<DiagnoseJobData>(diagnoseQueueName("prod"), { connection: redis, prefix });
}

const TARGET: DiagnoseTarget = { mode: "check", service: "storefront", namespace: "shop" };

function request(user: string, parentTs: string, at: Date, target: DiagnoseTarget = TARGET): DiagnoseJobData {
  return {
    requestKey: requestKeyOf("prod", target, at),
    cluster: "prod",
    target,
    thread: { channel: "C0MTLS0001", parentTs, userId: user },
    requestedAt: at.toISOString(),
    origin: "command",
  };
}

describe("enqueueDiagnose", () => {
  it("queues the first request; an equal one joins it; once answered, the next equal one gets the answer", async () => {
    freshQueue();
    const t0 = new Date("2026-11-27T12:00:59.900Z");
    const first = await enqueueDiagnose(queue, redis, prefix, request("U0ALICE", "1.000100", t0));
    expect(first).toEqual({ kind: "queued", jobId: expect.stringMatching(/^diagnose-prod-[0-9a-f]{20}-[0-9a-z]+$/) });
    // Just across a minute boundary: still the same window, because the window starts at the first request.
    const second = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "1.000200", new Date(t0.getTime() + 200)));
    expect(second).toEqual({ kind: "joined", jobId: first.jobId });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 1 });
    const job = await queue.getJob(first.jobId);
    expect(job?.data.thread.userId).toBe("U0ALICE");

    const joined = await publishAnswer(redis, prefix, first.jobId, { summary: "critical", permalink: "https://fake.slack/archives/C0MTLS0001/p1000100" });
    expect(joined).toEqual([{ channel: "C0MTLS0001", parentTs: "1.000200", userId: "U0BOB" }]);
    // Reading the waiting requesters again (a retried job) gives the same list: the worker records whom it answered.
    expect(await publishAnswer(redis, prefix, first.jobId, { summary: "critical" })).toEqual(joined);

    const third = await enqueueDiagnose(queue, redis, prefix, request("U0CAROL", "1.000300", new Date(t0.getTime() + 5_000)));
    expect(third).toEqual({ kind: "answered", jobId: first.jobId, answer: { summary: "critical" } });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 1 });
  });

  it("keeps the window for DEDUPE_WINDOW_MS from the first request, and runs a different request separately", async () => {
    freshQueue();
    const now = new Date();
    const first = await enqueueDiagnose(queue, redis, prefix, request("U0ALICE", "2.000100", now));
    const [claim] = await redis.keys(`${prefix}:state:dedupe:*`);
    expect(claim).toBeDefined();
    const ttl = await redis.pttl(claim!);
    expect(ttl).toBeGreaterThan(DEDUPE_WINDOW_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(DEDUPE_WINDOW_MS);
    const other = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "2.000200", now, { mode: "check", service: "inventory", namespace: "shop" }));
    expect(other.kind).toBe("queued");
    expect(other.jobId).not.toBe(first.jobId);
    const scan = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "2.000300", now, { mode: "scan", namespaces: ["shop"] }));
    expect(scan.kind).toBe("queued");
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 3 });
  });

  it("after a request failed for good and its window was released, asking again runs it again", async () => {
    freshQueue();
    const t0 = new Date();
    const failed = request("U0ALICE", "3.000100", t0);
    expect((await enqueueDiagnose(queue, redis, prefix, failed)).kind).toBe("queued");
    await releaseRequest(redis, prefix, failed);
    const again = await enqueueDiagnose(queue, redis, prefix, request("U0ALICE", "3.000200", new Date(t0.getTime() + 1_000)));
    expect(again).toEqual({ kind: "queued", jobId: expect.not.stringMatching(failed.requestKey) });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 2 });
  });

  it("releases the window when the job could not be queued, so that the next request is not left waiting", async () => {
    freshQueue();
    const broken = { ...request("U0ALICE", "4.000100", new Date()), requestKey: "not:a:valid:job:id" };
    await expect(enqueueDiagnose(queue, redis, prefix, broken)).rejects.toThrow();
    expect(await redis.keys(`${prefix}:state:dedupe:*`)).toEqual([]);
    expect((await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "4.000200", new Date()))).kind).toBe("queued");
  });

  it("releaseRequest leaves a newer window alone", async () => {
    freshQueue();
    const old = request("U0ALICE", "5.000100", new Date(Date.now() - 120_000));
    const current = request("U0BOB", "5.000200", new Date());
    expect((await enqueueDiagnose(queue, redis, prefix, current)).kind).toBe("queued");
    await releaseRequest(redis, prefix, old);
    expect((await enqueueDiagnose(queue, redis, prefix, request("U0CAROL", "5.000300", new Date()))).kind).toBe("joined");
  });
});
