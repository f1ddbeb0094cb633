// What `mtls-doctor preflight` reports: one item per thing the processes need, each saying what works,
// what is skipped without it, and the exact grant or setting that enables it.

export type PreflightArea = "slack" | "kubernetes" | "redis" | "istioctl" | "mesh";

/**
 * `ok` works; `missing` is definitely absent (denied, not granted, not installed); `unknown` could not
 * be determined (no answer); `skipped` was not checked because it is not configured or does not apply.
 */
export type PreflightStatus = "ok" | "missing" | "unknown" | "skipped";

export interface PreflightItem {
  area: PreflightArea;
  /** Short and stable: `bot token`, `scope chat:write`, `create pods/exec`, `redis`. */
  name: string;
  status: PreflightStatus;
  /** Without it mtls-doctor cannot do its job (exit 1); otherwise only some checks are skipped. */
  required: boolean;
  /** What was found. Never a secret. */
  detail: string;
  /** What stops working or is skipped without it (items that are not ok). */
  impact?: string;
  /** The exact grant or setting that enables it (items that are not ok). */
  enable?: string;
}

export interface PreflightReport {
  cluster: string;
  /** When it ran (ISO 8601). */
  at: string;
  /** Every required item works: the exit code is 0. */
  ready: boolean;
  items: PreflightItem[];
}

/** A required item that does not work. */
export function isBlocking(item: PreflightItem): boolean {
  return item.required && (item.status === "missing" || item.status === "unknown");
}

/** An optional item that does not work: something is skipped. */
export function isDegraded(item: PreflightItem): boolean {
  return !item.required && (item.status === "missing" || item.status === "unknown");
}

export function preflightReport(cluster: string, items: PreflightItem[], at: Date): PreflightReport {
  return { cluster, at: at.toISOString(), ready: !items.some(isBlocking), items };
}
