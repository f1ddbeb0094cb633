// Which failures a retry cannot fix. A diagnose job is retried with backoff for what may pass (Slack
// or the API server briefly unavailable, rate limits, network); anything else fails at once, so that
// the requester hears about it now and not after every retry.

/** Slack API errors that may pass by themselves; every other `ok: false` answer is about the request. */
const TRANSIENT_SLACK_ERRORS = new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

/** Kubernetes API statuses that say the ServiceAccount may not do this, which waiting does not change. */
const PERMANENT_KUBE_STATUSES = new Set([401, 403]);

interface ErrorShape {
  code?: unknown;
  data?: { error?: unknown };
}

/** Why `err` cannot be fixed by retrying (to tell the requester), or undefined when a retry may help. */
export function permanentFailure(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, data } = err as ErrorShape;
  if (code === "slack_webapi_platform_error" && typeof data?.error === "string" && !TRANSIENT_SLACK_ERRORS.has(data.error)) {
    return `Slack refused the request (${data.error})`;
  }
  if (typeof code === "number" && PERMANENT_KUBE_STATUSES.has(code)) {
    return `the Kubernetes API server refused the worker's credentials (HTTP ${code}); check its ServiceAccount and RBAC`;
  }
  return undefined;
}
