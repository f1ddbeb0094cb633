import { Queue, Worker, type JobsOptions } from "bullmq";
import { WebClient } from "@slack/web-api";
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { IncidentState } from "../incidents/incident-state.js";
import type { IncidentNotification } from "../incidents/notification.js";
import { createIncidentRecorder, type ReportHook } from "../incidents/record-report.js";
import type { Logger } from "../logger.js";
import { NOTIFY_JOB, notifyQueueName } from "../queue/names.js";
import { createNotifyProcessor, type NotifyJobResult } from "./notify-processor.js";

/** Slack allows about one message per second per channel: one notification (one message) per second. */
export const NOTIFY_RATE_LIMIT = { max: 1, duration: 1_000 } as const;

export interface NotifyWorkerOptions {
  config: Config;
  /** A blocking connection for BullMQ (maxRetriesPerRequest: null), also used for the incident state. */
  redis: Redis;
  logger: Logger;
  /** Default: a client for config.slack that leaves retrying to the queue. */
  slack?: WebClient;
  /** Attempts per notification; with `backoffMs` doubling each time (default 15 × from 2 s: about 18 hours). */
  attempts?: number;
  backoffMs?: number;
  limiter?: { max: number; duration: number };
}

export interface IncidentNotifications {
  /** The diagnose worker's onReport hook. */
  onReport: ReportHook;
  /** Hands every pending notification to the queue (done after every report, and at start). */
  flush(): Promise<void>;
  queue: Queue<IncidentNotification, NotifyJobResult>;
  close(): Promise<void>;
}

/**
 * Incident-channel notifications for this worker's cluster: the recorder that turns reports into
 * notifications, and the `notify-<cluster>` queue and worker that post them, one message per job, at
 * most one per second, retried with backoff while Slack fails.
 */
export async function startIncidentNotifications(options: NotifyWorkerOptions): Promise<IncidentNotifications> {
  const { config, redis, logger } = options;
  const channel = config.incidentChannel;
  if (channel === undefined) throw new Error("incident notifications need INCIDENT_CHANNEL");
  const slack =
    options.slack ??
    new WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
  const jobOptions: JobsOptions = {
    attempts: options.attempts ?? 15,
    backoff: { type: "exponential", delay: options.backoffMs ?? 2_000 },
    removeOnComplete: { age: 7 * 86_400, count: 10_000 },
    removeOnFail: { age: 30 * 86_400 },
  };
  const name = notifyQueueName(config.clusterName);
  const queue = new Queue<IncidentNotification, NotifyJobResult>(name, { connection: redis, prefix: config.queuePrefix });
  const worker = new Worker<IncidentNotification, NotifyJobResult>(
    name,
    createNotifyProcessor({ slack, redis, prefix: config.queuePrefix, logger, holdQueue: (ms) => queue.rateLimit(ms) }),
    { connection: redis, prefix: config.queuePrefix, concurrency: 1, limiter: options.limiter ?? NOTIFY_RATE_LIMIT },
  );
  worker.on("failed", (job, err) =>
    logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, "incident notification not posted yet (will retry)"),
  );
  worker.on("error", (err) => logger.error({ err }, "notify worker error"));
  // A posted message may be the thread of replies that were waiting for it.
  worker.on("completed", () => void flush().catch((err: unknown) => logger.warn({ err }, "could not queue incident replies")));

  const flush = async () => deliver(await new IncidentState(redis, config.queuePrefix, config.clusterName).pending());
  /**
   * Queues the pending notifications that can go now: a reply only once its thread's first message is
   * posted (it is queued after that post), so replies never wait in the queue taking the rate limit's turns.
   */
  const deliver = async (pending: IncidentNotification[]) => {
    const waiting = new Set(pending.map((n) => n.id));
    const ready = pending.filter((n) => n.threadOf === undefined || !waiting.has(n.threadOf));
    if (ready.length === 0) return;
    // An existing job id is left as it is: adding is idempotent.
    await queue.addBulk(ready.map((n) => ({ name: NOTIFY_JOB, data: n, opts: { ...jobOptions, jobId: n.id } })));
    // A notification whose attempts ran out while Slack was down is still pending: try it again.
    for (const n of ready) {
      const job = await queue.getJob(n.id);
      if (job && (await job.isFailed())) await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
  };
  await worker.waitUntilReady();
  await flush().catch((err: unknown) => logger.warn({ err }, "could not hand pending incident notifications to the queue"));
  logger.info({ queue: name, channel }, "incident notifications started");
  return {
    onReport: createIncidentRecorder({ redis, prefix: config.queuePrefix, channel, deliver, logger }),
    flush,
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
