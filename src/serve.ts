import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { KubeConfig } from "@kubernetes/client-node";
import { Approvers } from "./approvals/approvers.js";
import { AuditLog } from "./approvals/audit-log.js";
import { PendingFixStore } from "./approvals/pending-fix-store.js";
import { createApp } from "./bot/create-app.js";
import { FixApplier } from "./fixes/apply-fix.js";
import type { ApplyJobData } from "./queue/jobs.js";
import { applyQueueName } from "./queue/names.js";
import { registerListeners } from "./bot/register-listeners.js";
import { collectLive, planForRequest } from "./cluster/collect-live.js";
import { loadKubeConfig } from "./cluster/kube-client.js";
import { inputsOf } from "./checks/registry.js";
import { ConfigError, loadConfig, redactedConfig, type Config, type Role } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { startOpsServer, type ReadinessProbe } from "./observability/ops-server.js";
import type { DiagnoseJobData } from "./queue/jobs.js";
import { diagnoseQueueName } from "./queue/names.js";
import { closeRedis, createRedis, whenReady } from "./queue/redis-connection.js";
import type { Collector } from "./worker/diagnose-processor.js";
import { startWorker } from "./worker/start-worker.js";
import { runWorkerPreflight } from "./worker/worker-preflight.js";
import { startIncidentNotifications } from "./worker/notify-worker.js";
import { startScanTriggers } from "./worker/scan-scheduler.js";

export interface ServeOptions {
  env: NodeJS.ProcessEnv;
  /** The cluster to diagnose and fix; default: KUBECONFIG or the in-cluster ServiceAccount. */
  kubeConfig?: KubeConfig;
  /** Where logs go (tests capture them). */
  logDestination?: NodeJS.WritableStream;
  /** The cluster collector; default: live collection with the in-cluster or KUBECONFIG credentials. */
  collect?: Collector;
  /** Resolves when the process should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<void>;
  onReady?: (info: { opsPort: number }) => void;
  /** The worker's clock for diagnoses (certificate expiry); a replayed capture passes the time it was taken. */
  now?: () => Date;
}

export function liveCollector(kc: KubeConfig): Collector {
  const inputs = inputsOf();
  return (request, onProgress) => collectLive(kc, planForRequest(request, inputs), { onProgress });
}

function signals(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
}

/**
 * `mtls-doctor bot | worker | all`: validates the configuration (one line per problem, exit 2),
 * starts the processes, and on SIGTERM stops taking work, lets the current job finish (BullMQ hands an
 * unfinished one back), and closes connections. Resolves with the exit code.
 */
export async function serve(role: Role, options: ServeOptions): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(options.env, role);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mtls-doctor ${role}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, options.logDestination);
  logger.info({ role, config: redactedConfig(config) }, "starting");
  const metrics = createMetrics();
  let stopping = false;
  const closers: (() => Promise<void>)[] = [];
  const probes: ReadinessProbe[] = [];
  try {
    if (role === "worker" || role === "all") {
      const redis = createRedis(config.redis);
      redis.on("error", (err) => logger.warn({ err }, "redis connection error (worker)"));
      closers.push(() => closeRedis(redis));
      probes.push(redisProbe("redis (worker)", redis));
      const kc = options.kubeConfig ?? loadKubeConfig(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {});
      const collect = options.collect ?? liveCollector(kc);
      const applier = config.fixesEnabled ? new FixApplier(kc) : undefined;
      // The incident channel: notifications, and the scans without a command that feed it.
      const incidents = config.incidentChannel ? await startIncidentNotifications({ config, redis, logger }) : undefined;
      if (incidents) closers.unshift(() => incidents.close());
      const worker = await startWorker({
        config,
        redis,
        logger,
        metrics,
        collect,
        ...(options.now ? { now: options.now } : {}),
        ...(applier ? { applier } : {}),
        ...(incidents ? { hooks: { onReport: incidents.onReport } } : {}),
      });
      closers.unshift(() => worker.close());
      // At start-up, not before: the worker takes jobs at once, and what preflight finds is logged and shown by /mtls clusters.
      void runWorkerPreflight({ config, kubeConfig: kc, redis, logger, worker });
      if (incidents) {
        const triggers = await startScanTriggers({ config, redis, logger, kubeConfig: kc });
        closers.unshift(() => triggers.close());
      }
    }
    if (role === "bot" || role === "all") {
      await startBot(config, logger, metrics, probes, closers);
    }
    const ops = await startOpsServer(config.metricsPort, metrics, probes, () => stopping);
    closers.push(() => ops.close());
    options.onReady?.({ opsPort: ops.port });
    logger.info({ role, opsPort: ops.port }, "ready");
    await (options.stopSignal ?? signals());
  } catch (err) {
    logger.error({ err }, "could not start");
    stopping = true;
    await closeAll(closers, logger);
    return 1;
  }
  stopping = true;
  logger.info("stopping: finishing the current work");
  await closeAll(closers, logger);
  return 0;
}

async function closeAll(closers: (() => Promise<void>)[], logger: Logger): Promise<void> {
  for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, "error while stopping"));
}

function redisProbe(name: string, redis: Redis): ReadinessProbe {
  return { name, check: async () => void (await redis.ping()) };
}

async function startBot(config: Config, logger: Logger, metrics: Metrics, probes: ReadinessProbe[], closers: (() => Promise<void>)[]): Promise<void> {
  const redis = createRedis(config.redis, { failFast: true });
  redis.on("error", (err) => logger.warn({ err }, "redis connection error (bot)"));
  // Ready means able to answer commands; a Redis that is down is reported by /readyz, not waited for.
  await whenReady(redis, 2_000).catch((err: unknown) => logger.warn({ err }, "Redis is not reachable yet (bot)"));
  const queueConnection = createRedis(config.redis);
  queueConnection.on("error", (err) => logger.warn({ err }, "redis connection error (bot queues)"));
  const queues = new Map<string, Queue<DiagnoseJobData>>();
  const diagnoseQueue = (cluster: string) => {
    let queue = queues.get(cluster);
    if (!queue) {
      queue = new Queue<DiagnoseJobData>(diagnoseQueueName(cluster), { connection: queueConnection, prefix: config.queuePrefix });
      queue.on("error", (err) => logger.warn({ err, cluster }, "diagnose queue error"));
      queues.set(cluster, queue);
    }
    return queue;
  };
  const applyQueues = new Map<string, Queue<ApplyJobData>>();
  const applyQueue = (cluster: string) => {
    let queue = applyQueues.get(cluster);
    if (!queue) {
      queue = new Queue<ApplyJobData>(applyQueueName(cluster), { connection: queueConnection, prefix: config.queuePrefix });
      applyQueues.set(cluster, queue);
    }
    return queue;
  };
  const app = createApp(config, logger);
  const approvals = {
    store: new PendingFixStore(redis, config.queuePrefix),
    audit: new AuditLog(redis, config.queuePrefix, logger),
    approvers: new Approvers(app.client, {
      userIds: config.approverUserIds,
      usergroupIds: config.approverUsergroupIds,
      allowSelfApproval: config.allowSelfApproval,
    }),
    applyQueue,
  };
  registerListeners(app, { config, redis, diagnoseQueue, logger, metrics }, approvals);
  await app.start();
  probes.push(redisProbe("redis (bot)", redis));
  closers.unshift(async () => {
    await app.stop();
    for (const q of [...queues.values(), ...applyQueues.values()]) await q.close();
    await closeRedis(redis);
    await closeRedis(queueConnection);
  });
}
