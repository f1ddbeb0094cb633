import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Queue } from "bullmq";
import { WebClient } from "@slack/web-api";
import { Redis } from "ioredis";
import { collectLive, planForRequest } from "../../src/cluster/collect-live.js";
import type { ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { inputsOf } from "../../src/checks/registry.js";
import { loadConfig, type Config } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { DIAGNOSE_JOB_OPTIONS } from "../../src/queue/enqueue-diagnose.js";
import type { DiagnoseJobData, DiagnoseTarget } from "../../src/queue/jobs.js";
import { DIAGNOSE_JOB, diagnoseQueueName } from "../../src/queue/names.js";
import type { Collector } from "../../src/worker/diagnose-processor.js";
import { startIncidentNotifications, type IncidentNotifications } from "../../src/worker/notify-worker.js";
import { scanJobData, startScanTriggers, type ScanTriggers } from "../../src/worker/scan-scheduler.js";
import { startWorker, type RunningWorker } from "../../src/worker/start-worker.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import type { FakeMessage, FakeSlack, FakeSlackCall } from "../support/fake-slack.js";
import type { TestRedis } from "../support/redis-server.js";

export const DEMO_SNAPSHOT = path.resolve("examples/demo");
export const INCIDENT_CHANNEL = "C0INCIDENT1";
export const COMMAND_CHANNEL = "C0MTLS0001";
export const BOT_TOKEN = "xoxb-test-token-0123456789";
export const CLUSTER = "prod";

export interface IncidentRig {
  config: Config;
  kube: FakeKubeApi;
  slack: FakeSlack;
  redis: Redis;
  diagnoseQueue: Queue<DiagnoseJobData>;
  notifications: IncidentNotifications;
  worker: RunningWorker;
  triggers?: ScanTriggers;
  /** Top-level messages in the incident channel. */
  incidents(): FakeMessage[];
  /** Replies in the thread of an incident message. */
  thread(ts: string): FakeMessage[];
  /** chat.postMessage calls that reached the incident channel and were answered ok, in order. */
  incidentPosts(): FakeSlackCall[];
  /** Runs a diagnosis job to completion (as the scheduler, the watch or a command would queue it). */
  run(data: DiagnoseJobData): Promise<void>;
  scan(namespaces?: string[], origin?: "schedule" | "watch"): Promise<void>;
  /** Jobs of the diagnose queue that finished, with their origin. */
  finishedScans(origin: DiagnoseJobData["origin"]): Promise<number>;
  stop(): Promise<void>;
}

export interface RigOptions {
  redis: TestRedis;
  slack: FakeSlack;
  snapshot?: ClusterSnapshot | string;
  env?: Record<string, string>;
  /** Start the schedule and the policy watch (debounce as given). */
  triggers?: { debounceMs: number };
}

let rigs = 0;

/** Text of a message as people see it: fallback and blocks. */
export function textOf(message: { text?: string; blocks?: unknown[] } | undefined): string {
  return `${message?.text ?? ""}\n${JSON.stringify(message?.blocks ?? [])}`;
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

/**
 * The worker side of one cluster against the fakes: a diagnose worker collecting from the fake API
 * server, the incident notifications (recorder, notify queue and worker) posting to the fake Slack,
 * and optionally the scan schedule and policy watch. Each rig has its own queue prefix.
 */
export async function startIncidentRig(options: RigOptions): Promise<IncidentRig> {
  rigs += 1;
  const prefix = `inc${process.pid}r${rigs}`;
  const kube = await startFakeKubeApi({ snapshot: options.snapshot ?? DEMO_SNAPSHOT });
  const config = loadConfig(
    {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: options.slack.apiUrl,
      REDIS_URL: options.redis.url,
      QUEUE_PREFIX: prefix,
      CLUSTER_NAME: CLUSTER,
      INCIDENT_CHANNEL,
      SCAN_INTERVAL_MINUTES: "0",
      FIXES_ENABLED: "false",
      LOG_LEVEL: "silent",
      ...options.env,
    },
    "worker",
  );
  const logger = createLogger(config.logLevel);
  const redis = new Redis(options.redis.url, { maxRetriesPerRequest: null });
  const kc = kube.kubeConfig();
  const inputs = inputsOf();
  const collect: Collector = (request, onProgress) => collectLive(kc, planForRequest(request, inputs), { onProgress, istioctl: null });
  const notifications = await startIncidentNotifications({ config, redis, logger, backoffMs: 200 });
  const worker = await startWorker({
    config,
    redis,
    logger,
    metrics: createMetrics(false),
    collect,
    slack: new WebClient(BOT_TOKEN, { slackApiUrl: options.slack.apiUrl, retryConfig: { retries: 0 } }),
    hooks: { onReport: notifications.onReport },
  });
  const triggers = options.triggers ? await startScanTriggers({ config, redis, logger, kubeConfig: kc, debounceMs: options.triggers.debounceMs }) : undefined;
  const diagnoseQueue = new Queue<DiagnoseJobData>(diagnoseQueueName(CLUSTER), { connection: redis, prefix });
  const slack = options.slack;
  let sequence = 0;

  const run = async (data: DiagnoseJobData) => {
    const job = await diagnoseQueue.add(DIAGNOSE_JOB, data, { ...DIAGNOSE_JOB_OPTIONS, jobId: data.requestKey });
    await eventually(`diagnose job ${job.id ?? ""}`, async () => {
      const state = await job.getState();
      if (state === "failed") throw new Error(`diagnose job failed: ${(await diagnoseQueue.getJob(job.id ?? ""))?.failedReason ?? "?"}`);
      return state === "completed";
    }, 15_000);
  };

  return {
    config,
    kube,
    slack,
    redis,
    diagnoseQueue,
    notifications,
    worker,
    ...(triggers ? { triggers } : {}),
    incidents: () => slack.messages(INCIDENT_CHANNEL).filter((m) => m.thread_ts === undefined),
    thread: (ts) => slack.threadReplies(INCIDENT_CHANNEL, ts),
    incidentPosts: () => slack.callsTo("chat.postMessage").filter((c) => c.body["channel"] === INCIDENT_CHANNEL && c.status === 200 && c.response?.["ok"] === true),
    run,
    async scan(namespaces = [], origin = "schedule") {
      sequence += 1;
      await run(scanJobData(CLUSTER, namespaces, origin, `test-scan-${sequence}`, new Date()));
    },
    async finishedScans(origin) {
      const jobs = await diagnoseQueue.getJobs(["completed"]);
      return jobs.filter((j) => j.data.origin === origin).length;
    },
    async stop() {
      await triggers?.close();
      await worker.close();
      await notifications.close();
      await diagnoseQueue.close();
      await kube.close();
      await redis.quit();
    },
  };
}

/** A request as `/mtls check` or `/mtls scan` queues it, answered in `thread`. */
export function commandJob(target: DiagnoseTarget, thread: { channel: string; parentTs: string; userId: string }, key: string): DiagnoseJobData {
  return { requestKey: key, cluster: CLUSTER, target, thread, requestedAt: new Date().toISOString(), origin: "command" };
}
