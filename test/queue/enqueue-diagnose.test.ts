import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLAIM_TTL_MS, EnqueueFailedError, enqueueDiagnose, finishRequest, requestKeyOf } from "../../src/queue/enqueue-diagnose.js";
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
  it("queues the first request; an equal one while it runs joins it; once it finished, the next equal one is queued afresh", async () => {
    freshQueue();
    const t0 = new Date("2026-11-27T12:00:00.000Z");
    const firstData = request("U0ALICE", "1.000100", t0);
    const first = await enqueueDiagnose(queue, redis, prefix, firstData);
    expect(first).toEqual({ kind: "queued", jobId: expect.stringMatching(/^diagnose-prod-[0-9a-f]{20}-[0-9a-z]+$/) });
    // Five minutes later and still running: still shared (no time window decides, the job does).
    const second = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "1.000200", new Date(t0.getTime() + 300_000)));
    expect(second).toEqual({ kind: "joined", jobId: first.jobId });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 1 });

    const joined = await finishRequest(redis, prefix, firstData);
    expect(joined).toEqual([{ channel: "C0MTLS0001", parentTs: "1.000200", userId: "U0BOB" }]);
    // A retried job reads the same requesters again, and does not release a newer claim.
    expect(await finishRequest(redis, prefix, firstData)).toEqual(joined);

    const third = await enqueueDiagnose(queue, redis, prefix, request("U0CAROL", "1.000300", new Date(t0.getTime() + 301_000)));
    expect(third).toEqual({ kind: "queued", jobId: expect.not.stringMatching(first.jobId) });
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 2 });
    // Its own joiners start empty: Bob, answered by the first job, is not waiting for the third.
    const fourthData = request("U0DAVE", "1.000400", new Date(t0.getTime() + 302_000));
    expect(await enqueueDiagnose(queue, redis, prefix, fourthData)).toEqual({ kind: "joined", jobId: third.jobId });
    expect(await finishRequest(redis, prefix, { ...fourthData, requestKey: third.jobId })).toEqual([{ channel: "C0MTLS0001", parentTs: "1.000400", userId: "U0DAVE" }]);
  });

  it("a claim lives at most CLAIM_TTL_MS (a job lost with its worker), and a different request runs separately", async () => {
    freshQueue();
    const now = new Date();
    const first = await enqueueDiagnose(queue, redis, prefix, request("U0ALICE", "2.000100", now));
    const [claim] = await redis.keys(`${prefix}:state:dedupe:*`);
    expect(claim).toBeDefined();
    const ttl = await redis.pttl(claim!);
    expect(ttl).toBeGreaterThan(CLAIM_TTL_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(CLAIM_TTL_MS);
    const other = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "2.000200", now, { mode: "check", service: "inventory", namespace: "shop" }));
    expect(other.kind).toBe("queued");
    expect(other.jobId).not.toBe(first.jobId);
    const scan = await enqueueDiagnose(queue, redis, prefix, request("U0BOB", "2.000300", now, { mode: "scan", namespaces: ["shop"] }));
    expect(scan.kind).toBe("queued");
    expect(await queue.getJobCounts("waiting")).toEqual({ waiting: 3 });
  });

  it("races at completion: every request either joined before the finish (and is answered by it) or is queued afresh", async () => {
    freshQueue();
    const t0 = new Date();
    const firstData = request("U0ALICE", "3.000100", t0);
    await enqueueDiagnose(queue, redis, prefix, firstData);
    // Many equal requests on their own connections, racing the job's finish.
    const clients = Array.from({ length: 20 }, () => new Redis(server.url, { maxRetriesPerRequest: null }));
    try {
      const racing = clients.map((client, i) => enqueueDiagnose(queue, client, prefix, request(`U0R${i}`, `3.1${String(i).padStart(5, "0")}`, new Date(t0.getTime() + 1 + i))));
      const finished = finishRequest(redis, prefix, firstData);
      const outcomes = await Promise.all(racing);
      const answered = (await finished).map((t) => t.userId);
      const joinedFirst = outcomes.flatMap((o, i) => (o.kind === "joined" && o.jobId === firstData.requestKey ? [`U0R${i}`] : []));
      expect(answered.sort()).toEqual(joinedFirst.sort());
      // Whoever did not join the first job is in exactly one fresh job (as its first, or joined to it).
      const fresh = outcomes.filter((o) => o.jobId !== firstData.requestKey);
      expect(fresh.length + joinedFirst.length).toBe(20);
      expect(new Set(fresh.map((o) => o.jobId)).size).toBeLessThanOrEqual(1);
      expect(fresh.filter((o) => o.kind === "queued").length).toBe(fresh.length > 0 ? 1 : 0);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it("when the job cannot be queued, releases the claim and hands back whoever joined meanwhile", async () => {
    freshQueue();
    const broken = { ...request("U0ALICE", "4.000100", new Date()), requestKey: "not:a:valid:job:id" };
    // Bob joins between the claim and the failed add: his command is in flight on another connection.
    const bob = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      const original = queue.add.bind(queue);
      const slowQueue = Object.assign(Object.create(queue) as Queue<DiagnoseJobData>, {
        add: async (...args: Parameters<Queue<DiagnoseJobData>["add"]>) => {
          expect((await enqueueDiagnose(queue, bob, prefix, request("U0BOB", "4.000150", new Date()))).kind).toBe("joined");
          return original(...args);
        },
      });
      const failure = await enqueueDiagnose(slowQueue, redis, prefix, broken).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(EnqueueFailedError);
      expect((failure as EnqueueFailedError).stranded).toEqual([{ channel: "C0MTLS0001", parentTs: "4.000150", userId: "U0BOB" }]);
    } finally {
      bob.disconnect();
    }
    expect(await redis.keys(`${prefix}:state:dedupe:*`)).toEqual([]);
    expect((await enqueueDiagnose(queue, redis, prefix, request("U0CAROL", "4.000200", new Date()))).kind).toBe("queued");
  });

  it("finishing an old job leaves a newer claim alone", async () => {
    freshQueue();
    const old = request("U0ALICE", "5.000100", new Date(Date.now() - 120_000));
    const current = request("U0BOB", "5.000200", new Date());
    expect((await enqueueDiagnose(queue, redis, prefix, current)).kind).toBe("queued");
    expect(await finishRequest(redis, prefix, old)).toEqual([]);
    expect((await enqueueDiagnose(queue, redis, prefix, request("U0CAROL", "5.000300", new Date()))).kind).toBe("joined");
  });
});
