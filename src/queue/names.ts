// Queue and job names. BullMQ forbids ':' in queue names and custom job ids.

export const DIAGNOSE_JOB = "diagnose";
export const APPLY_FIX_JOB = "apply-fix";

export function diagnoseQueueName(cluster: string): string {
  return `diagnose-${cluster}`;
}

export function applyQueueName(cluster: string): string {
  return `apply-${cluster}`;
}

export const NOTIFY_JOB = "notify";

/** Incident-channel notifications of one cluster's worker: one Slack message per job, rate-limited. */
export function notifyQueueName(cluster: string): string {
  return `notify-${cluster}`;
}

/** The BullMQ job scheduler of a cluster's periodic scan. */
export function scanSchedulerId(cluster: string): string {
  return `scan-${cluster}`;
}

/** Redis keys of our own (not BullMQ's), under the same prefix so that one Redis can serve several installs. */
export function stateKey(prefix: string, ...parts: string[]): string {
  return [prefix, "state", ...parts].join(":");
}
