import { defaultIstioctlRunner, istioctlMissingReason } from "../cluster/istioctl.js";
import { kubeConfigOrigin } from "../cluster/kube-client.js";
import { ConfigError, loadConfig } from "../config.js";
import { scrubSecrets } from "../logger.js";
import { renderPreflightText } from "../preflight/render-preflight.js";
import { runPreflight } from "../preflight/run-preflight.js";
import { closeRedis, createRedis } from "../queue/redis-connection.js";
import { kubeConfigFor } from "./load-live.js";
import type { PreflightCommand } from "./parse-args.js";
import { InputError, type CliIo } from "./run-cli.js";

/**
 * `mtls-doctor preflight`: the worker's checks from here, with the configuration of the environment
 * (as the worker reads it) and the credentials of --kubeconfig/--context, KUBECONFIG or the pod.
 * Exit 0 when everything required works, 1 when something required is missing, 2 for bad usage or a
 * configuration that cannot be read.
 */
export async function runPreflightCommand(cmd: PreflightCommand, io: CliIo): Promise<number> {
  let config;
  try {
    config = loadConfig(io.env, "worker");
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.message);
    throw err;
  }
  const kubeConfig = kubeConfigFor(cmd.source);
  const origin = kubeConfigOrigin(kubeConfig);
  const redisConfigured = Boolean(io.env["REDIS_URL"]?.trim() || io.env["REDIS_SENTINELS"]?.trim());
  const redis = redisConfigured ? createRedis(config.redis, { failFast: true }) : undefined;
  redis?.on("error", () => undefined);
  const where = config.redis.sentinels ? `Redis Sentinel ${config.redis.sentinelName ?? ""}` : scrubSecrets(config.redis.url ?? "");
  try {
    const report = await runPreflight({
      config,
      kubeConfig,
      ...(redis ? { redis: { client: redis, where } } : {}),
      istioctl: defaultIstioctlRunner(origin, io.env),
      istioctlMissingReason: istioctlMissingReason(io.env),
      subject: origin.context === undefined ? "the worker's ServiceAccount" : `the user of context ${origin.context} (in the cluster: the worker's ServiceAccount)`,
    });
    io.stdout.write(cmd.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderPreflightText(report));
    return report.ready ? 0 : 1;
  } finally {
    if (redis) await closeRedis(redis);
  }
}
