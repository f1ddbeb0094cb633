// Queue and job names. BullMQ forbids ':' in queue names and custom job ids.

export const DIAGNOSE_JOB = "diagnose";
export const APPLY_FIX_JOB = "apply-fix";

export function diagnoseQueueName(cluster: string): string {
  return `diagnose-${cluster}`;
}

export function applyQueueName(cluster: string): string {
  return `apply-${cluster}`;
}

/** Redis keys of our own (not BullMQ's), under the same prefix so that one Redis can serve several installs. */
export function stateKey(prefix: string, ...parts: string[]): string {
  return [prefix, "state", ...parts].join(":");
}
