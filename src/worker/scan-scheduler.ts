// Scans without a command: a BullMQ job scheduler per cluster (every SCAN_INTERVAL_MINUTES), and a
// scan of a namespace right after its mTLS policies change. Both are ordinary diagnose jobs with an
// origin other than "command": nobody waits in a thread, the report only feeds the incident logic.
import { Queue } from "bullmq";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Redis } from "ioredis";
import { DEFAULT_ROOT_NAMESPACE } from "../cluster/collect-live.js";
import { watchPolicies, type PolicyChange, type PolicyWatch } from "../cluster/watch-policies.js";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { DIAGNOSE_JOB_OPTIONS } from "../queue/enqueue-diagnose.js";
import type { DiagnoseJobData } from "../queue/jobs.js";
import { DIAGNOSE_JOB, diagnoseQueueName, scanSchedulerId } from "../queue/names.js";

export interface ScanSchedule {
  cluster: string;
  /** 0 removes the schedule. */
  intervalMs: number;
  /** Empty: every namespace but Kubernetes' own. */
  namespaces: readonly string[];
}

/** A scan request that no person made: no thread to answer in. */
export function scanJobData(cluster: string, namespaces: readonly string[], origin: "schedule" | "watch", requestKey: string, now: Date): DiagnoseJobData {
  return {
    requestKey,
    cluster,
    target: { mode: "scan", namespaces: [...namespaces] },
    thread: { channel: "", parentTs: "", userId: "" },
    requestedAt: now.toISOString(),
    origin,
  };
}

/** Creates, updates or (interval 0) removes the cluster's scan scheduler; workers of every replica may call it. */
export async function scheduleScans(queue: Queue<DiagnoseJobData>, schedule: ScanSchedule, now = new Date()): Promise<void> {
  const id = scanSchedulerId(schedule.cluster);
  if (schedule.intervalMs <= 0) {
    await queue.removeJobScheduler(id);
    return;
  }
  await queue.upsertJobScheduler(
    id,
    { every: schedule.intervalMs },
    { name: DIAGNOSE_JOB, data: scanJobData(schedule.cluster, schedule.namespaces, "schedule", id, now), opts: DIAGNOSE_JOB_OPTIONS },
  );
}

/**
 * What to scan after a policy change in `namespace`: that namespace; every configured namespace when
 * the root namespace changed (its policies apply mesh-wide); nothing for Kubernetes' own namespaces or
 * for namespaces outside a configured list.
 */
export function namespacesToScan(namespace: string, configured: readonly string[], rootNamespace = DEFAULT_ROOT_NAMESPACE): string[] | undefined {
  if (namespace === rootNamespace) return [...configured];
  if (namespace.startsWith("kube-")) return undefined;
  if (configured.length > 0 && !configured.includes(namespace)) return undefined;
  return [namespace];
}

export async function enqueueWatchScan(queue: Queue<DiagnoseJobData>, cluster: string, namespaces: readonly string[], now = new Date()): Promise<string> {
  const scope = namespaces.length === 1 ? namespaces[0] : "all";
  const jobId = `watch-${cluster}-${scope}-${now.getTime()}`;
  await queue.add(DIAGNOSE_JOB, scanJobData(cluster, namespaces, "watch", jobId, now), { ...DIAGNOSE_JOB_OPTIONS, jobId });
  return jobId;
}

export interface ScanTriggerOptions {
  config: Config;
  /** A connection for BullMQ (maxRetriesPerRequest: null). */
  redis: Redis;
  logger: Logger;
  /** The cluster to watch; without it, only the schedule runs. */
  kubeConfig?: KubeConfig;
  /** Quiet time after a policy change before its namespace is scanned. Default 10 s. */
  debounceMs?: number;
}

export interface ScanTriggers {
  queue: Queue<DiagnoseJobData>;
  watch?: PolicyWatch;
  close(): Promise<void>;
}

/** The scan schedule of this worker's cluster, and the policy watch when configured. */
export async function startScanTriggers(options: ScanTriggerOptions): Promise<ScanTriggers> {
  const { config, redis, logger } = options;
  const cluster = config.clusterName;
  const queue = new Queue<DiagnoseJobData>(diagnoseQueueName(cluster), { connection: redis, prefix: config.queuePrefix });
  const intervalMs = Math.round(config.scans.intervalMinutes * 60_000);
  await scheduleScans(queue, { cluster, intervalMs, namespaces: config.scans.namespaces });
  logger.info({ cluster, intervalMs, namespaces: config.scans.namespaces }, intervalMs > 0 ? "scheduled scans" : "no scheduled scans");
  let watch: PolicyWatch | undefined;
  if (config.scans.watchPolicies && options.kubeConfig) {
    watch = watchPolicies(options.kubeConfig, {
      logger,
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
      onChange: async (namespace: string, changes: PolicyChange[]) => {
        const namespaces = namespacesToScan(namespace, config.scans.namespaces);
        if (namespaces === undefined) return;
        const jobId = await enqueueWatchScan(queue, cluster, namespaces);
        logger.info({ cluster, namespace, changes: changes.map((c) => `${c.type} ${c.kind} ${c.namespace}/${c.name}`), jobId }, "policies changed: scan queued");
      },
    });
  }
  return {
    queue,
    ...(watch ? { watch } : {}),
    async close() {
      await watch?.close();
      await queue.close();
    },
  };
}
