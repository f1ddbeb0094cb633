import { randomUUID } from "node:crypto";
import { Worker } from "bullmq";
import { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { slackLogger, type Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { DiagnoseJobData, DiagnoseJobResult } from "../queue/jobs.js";
import { diagnoseQueueName } from "../queue/names.js";
import { beat, forget, HEARTBEAT_INTERVAL_MS } from "../queue/worker-registry.js";
import { AuditLog } from "../approvals/audit-log.js";
import { PendingFixStore } from "../approvals/pending-fix-store.js";
import { recordPostedFix } from "../approvals/record-posted-fix.js";
import type { FixApplier } from "../fixes/apply-fix.js";
import type { PreflightSummary } from "../preflight/preflight-summary.js";
import type { ApplyJobData, ApplyJobResult } from "../queue/jobs.js";
import { applyQueueName } from "../queue/names.js";
import { createApplyProcessor } from "./apply-processor.js";
import { createDiagnoseProcessor, type Collector, type DiagnoseProcessorDeps } from "./diagnose-processor.js";

export const FIX_TTL_MS = 24 * 3600 * 1000;
/** How long a stopping worker lets its current jobs run (Kubernetes' default grace period is 30 s). */
export const SHUTDOWN_GRACE_MS = 25_000;
const FORGET_TIMEOUT_MS = 1_000;

/** Whether `promise` settled (either way) within `ms`; it is never left to reject unhandled. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface WorkerDeps {
  config: Config;
  /** A blocking connection for BullMQ (maxRetriesPerRequest: null). */
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  collect: Collector;
  slack?: WebClient;
  concurrency?: number;
  hooks?: Pick<DiagnoseProcessorDeps, "onFixPosted" | "onReport">;
  /** Applies approved fixes in this cluster; without it, approved fixes wait for a worker that has one. */
  applier?: FixApplier;
  /** The clock diagnoses run at; default the system's. */
  now?: () => Date;
}

export interface RunningWorker {
  id: string;
  worker: Worker<DiagnoseJobData, DiagnoseJobResult>;
  /** Keeps this worker's preflight summary beside its heartbeat (stored now and with every beat). */
  setPreflight(summary: PreflightSummary): Promise<void>;
  /** Stops taking jobs, lets the current one finish (or hands it back), removes the heartbeat. */
  close(): Promise<void>;
}

export function slackClient(config: Config, logger: Logger): WebClient {
  return new WebClient(config.slack.botToken, {
    logger: slackLogger(logger, "slack"),
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
  });
}

/** A worker for this process's cluster: takes `diagnose-<cluster>` jobs and announces itself with a heartbeat. */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, redis, logger, metrics } = deps;
  const id = `${config.clusterName}-${randomUUID().slice(0, 8)}`;
  const slack = deps.slack ?? slackClient(config, logger);
  const processor = createDiagnoseProcessor({
    slack,
    redis,
    prefix: config.queuePrefix,
    collect: deps.collect,
    logger,
    metrics,
    fixes: { enabled: config.fixesEnabled, approveReaction: config.reactions.approve, rejectReaction: config.reactions.reject, ttlMs: FIX_TTL_MS },
    checkOptions: { certificateWarningMs: config.certificateWarningMinutes * 60_000 },
    ...(deps.now ? { now: deps.now } : {}),
    onFixPosted: recordPostedFix(new PendingFixStore(redis, config.queuePrefix), new AuditLog(redis, config.queuePrefix, logger)),
    ...deps.hooks,
  });
  const queue = diagnoseQueueName(config.clusterName);
  const worker = new Worker<DiagnoseJobData, DiagnoseJobResult>(queue, processor, {
    connection: redis,
    prefix: config.queuePrefix,
    concurrency: deps.concurrency ?? 2,
    autorun: true,
  });
  worker.on("completed", () => metrics.jobs.inc({ queue, status: "completed" }));
  worker.on("failed", (job, err) => {
    // BullMQ reports every failed attempt; only one that is not retried has finished.
    const status = job?.finishedOn === undefined ? "retried" : "failed";
    metrics.jobs.inc({ queue, status });
    logger.warn({ jobId: job?.id, err, status }, "diagnose job failed");
  });
  worker.on("error", (err) => logger.error({ err }, "worker error"));
  await worker.waitUntilReady();
  const applyWorker = deps.applier
    ? new Worker<ApplyJobData, ApplyJobResult>(
        applyQueueName(config.clusterName),
        createApplyProcessor({ slack, redis, prefix: config.queuePrefix, applier: deps.applier, collect: deps.collect, logger }),
        { connection: redis, prefix: config.queuePrefix, concurrency: 1 },
      )
    : undefined;
  applyWorker?.on("failed", (job, err) => logger.warn({ jobId: job?.id, err }, "apply job failed"));
  applyWorker?.on("error", (err) => logger.error({ err }, "apply worker error"));
  await applyWorker?.waitUntilReady();
  let preflight: PreflightSummary | undefined;
  let stopped = false;
  const heartbeat = async () => {
    await beat(redis, config.queuePrefix, config.clusterName, id, new Date(), preflight).catch((err: unknown) => logger.warn({ err }, "heartbeat failed"));
  };
  await heartbeat();
  const timer = setInterval(() => void heartbeat(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  // A Redis that restarted or failed over has lost the heartbeat: announce again at once, not at the next beat.
  const beatOnReconnect = () => void heartbeat();
  redis.on("ready", beatOnReconnect);
  logger.info({ cluster: config.clusterName, queue, workerId: id }, "worker started");
  return {
    id,
    worker,
    async setPreflight(summary) {
      // A beat after close() would announce a worker that is gone.
      if (stopped) return;
      preflight = summary;
      await heartbeat();
    },
    async close() {
      stopped = true;
      clearInterval(timer);
      redis.off("ready", beatOnReconnect);
      // Without Redis no job can finish (nor be marked finished): hand them back at once instead of
      // waiting for Redis to return. BullMQ gives a job whose lock lapsed to the next worker.
      const force = redis.status !== "ready";
      const closed = Promise.all([worker.close(force), applyWorker?.close(force)]);
      if (!(await settlesWithin(closed, SHUTDOWN_GRACE_MS))) {
        logger.warn({ workerId: id, graceMs: SHUTDOWN_GRACE_MS }, "stopped waiting for the current jobs: they are handed back when their lock lapses");
      }
      await settlesWithin(forget(redis, config.queuePrefix, config.clusterName, id), FORGET_TIMEOUT_MS);
      logger.info({ workerId: id }, "worker stopped");
    },
  };
}
