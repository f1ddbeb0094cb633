import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { PendingFixStore, fixId, type PendingFix } from "../../src/approvals/pending-fix-store.js";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import { inputsOf } from "../../src/checks/registry.js";
import { FixApplier } from "../../src/fixes/apply-fix.js";
import { createLogger } from "../../src/logger.js";
import type { ApplyJobData, ApplyJobResult } from "../../src/queue/jobs.js";
import { createApplyProcessor } from "../../src/worker/apply-processor.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";
import { webApi } from "@slack/bolt";

const CHANNEL = "C0RACE0001";
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe("two workers racing on the same approved fix", () => {
  it("apply it once: the claim in Redis has one winner", async () => {
    const redisServer: TestRedis = await startTestRedis();
    cleanup.push(() => redisServer.close());
    const slack: FakeSlack = await startFakeSlack({ channels: [{ id: CHANNEL }] });
    cleanup.push(() => slack.close());
    const snapshot = emptySnapshot();
    addObject(snapshot, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    const kube: FakeKubeApi = await startFakeKubeApi({ snapshot, latencyMs: 20 });
    cleanup.push(() => kube.close());

    const connections: Redis[] = [];
    const connection = () => {
      const c = new Redis(redisServer.url, { maxRetriesPerRequest: null });
      connections.push(c);
      return c;
    };
    cleanup.push(async () => connections.forEach((c) => c.disconnect()));
    const redis = connection();
    const parent = await new webApi.WebClient("xoxb-t", { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: CHANNEL, text: "parent" });
    const fixReply = await new webApi.WebClient("xoxb-t", { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: CHANNEL, thread_ts: parent.ts ?? "", text: "fix" });
    const ts = fixReply.ts ?? "";
    const store = new PendingFixStore(redis, "race");
    const fix: PendingFix = {
      id: fixId(CHANNEL, ts),
      cluster: "prod",
      channel: CHANNEL,
      ts,
      threadTs: parent.ts ?? "",
      requester: "U0REQ",
      finding: { code: "MTLS201", resource: "Deployment legacy/report", message: "m" },
      title: "Accept plaintext on 8080",
      risk: "low",
      objects: [{ apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "svc-permissive-8080", namespace: "shop" }, spec: { selector: { matchLabels: { app: "svc" } }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } } } as never],
      preconditions: [{ target: "PeerAuthentication shop/svc-permissive-8080", resourceVersion: "absent" }],
      request: { mode: "check", service: "svc", namespace: "shop" },
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await store.save(fix);
    expect(await store.transition(fix, ["pending"], "approved", { approver: "U0APP" })).toBe("ok");

    const kc = kube.kubeConfig();
    const inputs = inputsOf();
    const workers: Worker<ApplyJobData, ApplyJobResult>[] = [];
    for (let i = 0; i < 2; i++) {
      const processor = createApplyProcessor({
        slack: new webApi.WebClient("xoxb-t", { slackApiUrl: slack.apiUrl }),
        redis: connection(),
        prefix: "race",
        applier: new FixApplier(kc),
        collect: (request) => collectLive(kc, planForRequest(request, inputs), { istioctl: null }),
        logger: createLogger("silent"),
      });
      workers.push(new Worker<ApplyJobData, ApplyJobResult>("apply-prod", processor, { connection: connection(), prefix: "race", concurrency: 2 }));
    }
    cleanup.push(async () => void (await Promise.all(workers.map((w) => w.close()))));
    const queue = new Queue<ApplyJobData>("apply-prod", { connection: connection(), prefix: "race" });
    const events = new QueueEvents("apply-prod", { connection: connection(), prefix: "race" });
    cleanup.push(async () => void (await Promise.all([queue.close(), events.close()])));
    await events.waitUntilReady();
    // Two deliveries of the same approval (as a second bot replica might enqueue) race on two workers.
    const jobs = await Promise.all(
      ["a", "b", "c", "d"].map((n) => queue.add("apply-fix", { fix: { channel: CHANNEL, ts }, action: "apply", actor: "U0APP", requestedAt: new Date().toISOString() }, { jobId: `apply-race-${n}` })),
    );
    const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events, 15_000) as Promise<ApplyJobResult>));
    expect(results.filter((r) => r.outcome === "applied")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "skipped")).toHaveLength(3);
    expect(kube.requests.filter((r) => r.verb === "patch" && !r.dryRun)).toHaveLength(1);
    expect(slack.threadReplies(CHANNEL, parent.ts ?? "").filter((m) => /Applied/.test(m.text ?? ""))).toHaveLength(1);
  });
});
