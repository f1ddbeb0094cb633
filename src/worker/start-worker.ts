import { randomUUID } from "node:crypto";
import { Worker } from "bullmq";
import { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import type { DiagnoseJobData, DiagnoseJobResult } from "../queue/jobs.js";
import { diagnoseQueueName } from "../queue/names.js";
import { beat, forget, HEARTBEAT_INTERVAL_MS } from "../queue/worker-registry.js";
import { createDiagnoseProcessor, type Collector, type DiagnoseProcessorDeps } from "./diagnose-processor.js";

export const FIX_TTL_MS = 24 * 3600 * 1000;

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
}

export interface RunningWorker {
  id: string;
  worker: Worker<DiagnoseJobData, DiagnoseJobResult>;
  /** Stops taking jobs, lets the current one finish (or hands it back), removes the heartbeat. */
  close(): Promise<void>;
}

export function slackClient(config: Config): WebClient {
  return new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 10_000 },
  });
}

/** A worker for this process's cluster: takes `diagnose-<cluster>` jobs and announces itself with a heartbeat. */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, redis, logger, metrics } = deps;
  const id = `${config.clusterName}-${randomUUID().slice(0, 8)}`;
  const slack = deps.slack ?? slackClient(config);
  const processor = createDiagnoseProcessor({
    slack,
    redis,
    prefix: config.queuePrefix,
    collect: deps.collect,
    logger,
    metrics,
    fixes: { enabled: config.fixesEnabled, approveReaction: config.reactions.approve, rejectReaction: config.reactions.reject, ttlMs: FIX_TTL_MS },
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
    metrics.jobs.inc({ queue, status: "failed" });
    logger.warn({ jobId: job?.id, err }, "diagnose job failed");
  });
  worker.on("error", (err) => logger.error({ err }, "worker error"));
  await worker.waitUntilReady();
  const heartbeat = async () => {
    await beat(redis, config.queuePrefix, config.clusterName, id).catch((err: unknown) => logger.warn({ err }, "heartbeat failed"));
  };
  await heartbeat();
  const timer = setInterval(() => void heartbeat(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  logger.info({ cluster: config.clusterName, queue, workerId: id }, "worker started");
  return {
    id,
    worker,
    async close() {
      clearInterval(timer);
      await worker.close();
      await forget(redis, config.queuePrefix, config.clusterName, id).catch(() => undefined);
      logger.info({ workerId: id }, "worker stopped");
    },
  };
}
