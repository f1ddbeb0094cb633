import type { KubeConfig } from "@kubernetes/client-node";
import type { Redis } from "ioredis";
import { defaultIstioctlRunner, istioctlMissingReason } from "../cluster/istioctl.js";
import { kubeConfigOrigin } from "../cluster/kube-client.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { scrubSecrets } from "../logger.js";
import { isBlocking, isDegraded, type PreflightReport } from "../preflight/preflight-item.js";
import { preflightHeadline } from "../preflight/render-preflight.js";
import { runPreflight } from "../preflight/run-preflight.js";
import { summarisePreflight } from "../preflight/preflight-summary.js";
import type { RunningWorker } from "./start-worker.js";

export interface WorkerPreflightDeps {
  config: Config;
  kubeConfig: KubeConfig;
  redis: Redis;
  logger: Logger;
  worker: Pick<RunningWorker, "id" | "setPreflight">;
  env?: NodeJS.ProcessEnv;
}

/**
 * The checks of `mtls-doctor preflight`, run by a worker once it has started: one structured log line
 * per item (info when it works, warn when an optional one is missing, error when a required one is),
 * a line with the verdict, and the summary kept beside the heartbeat for `/mtls clusters`. Never throws.
 */
export async function runWorkerPreflight(deps: WorkerPreflightDeps): Promise<PreflightReport | undefined> {
  const { config, logger } = deps;
  const env = deps.env ?? process.env;
  try {
    const report = await runPreflight({
      config,
      kubeConfig: deps.kubeConfig,
      redis: { client: deps.redis, where: config.redis.sentinels ? `Redis Sentinel ${config.redis.sentinelName ?? ""}` : scrubSecrets(config.redis.url ?? "") },
      istioctl: defaultIstioctlRunner(kubeConfigOrigin(deps.kubeConfig), env),
      istioctlMissingReason: istioctlMissingReason(env),
    });
    for (const item of report.items) {
      const line = { preflight: item, cluster: config.clusterName, workerId: deps.worker.id };
      const message = `preflight: ${item.name} ${item.status}`;
      if (isBlocking(item)) logger.error(line, message);
      else if (isDegraded(item)) logger.warn(line, message);
      else logger.info(line, message);
    }
    const summary = summarisePreflight(report);
    logger[report.ready ? "info" : "error"]({ preflight: { ready: summary.ready, blocking: summary.blocking, degraded: summary.degraded }, cluster: config.clusterName, workerId: deps.worker.id }, `preflight: ${preflightHeadline(report)}`);
    await deps.worker.setPreflight(summary);
    return report;
  } catch (err) {
    logger.warn({ err }, "preflight could not run");
    return undefined;
  }
}
