import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createApp } from "./bot/create-app.js";
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
import { createRedis } from "./queue/redis-connection.js";
import type { Collector } from "./worker/diagnose-processor.js";
import { startWorker } from "./worker/start-worker.js";

export interface ServeOptions {
  env: NodeJS.ProcessEnv;
  /** Where logs go (tests capture them). */
  logDestination?: NodeJS.WritableStream;
  /** The cluster collector; default: live collection with the in-cluster or KUBECONFIG credentials. */
  collect?: Collector;
  /** Resolves when the process should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<void>;
  onReady?: (info: { opsPort: number }) => void;
}

export function liveCollector(config: Config): Collector {
  const kc = loadKubeConfig(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {});
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
      closers.push(async () => void (await redis.quit().catch(() => undefined)));
      probes.push(redisProbe("redis (worker)", redis));
      const collect = options.collect ?? liveCollector(config);
      const worker = await startWorker({ config, redis, logger, metrics, collect });
      closers.unshift(() => worker.close());
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
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis connection error (bot)"));
  const queueConnection = createRedis(config.redis);
  const queues = new Map<string, Queue<DiagnoseJobData>>();
  const diagnoseQueue = (cluster: string) => {
    let queue = queues.get(cluster);
    if (!queue) {
      queue = new Queue<DiagnoseJobData>(diagnoseQueueName(cluster), { connection: queueConnection, prefix: config.queuePrefix });
      queues.set(cluster, queue);
    }
    return queue;
  };
  const app = createApp(config, logger);
  registerListeners(app, { config, redis, diagnoseQueue, logger, metrics });
  await app.start();
  probes.push(redisProbe("redis (bot)", redis));
  closers.unshift(async () => {
    await app.stop();
    for (const q of queues.values()) await q.close();
    await redis.quit().catch(() => undefined);
    await queueConnection.quit().catch(() => undefined);
  });
}
