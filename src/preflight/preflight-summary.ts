import { isBlocking, isDegraded, type PreflightReport } from "./preflight-item.js";

/** What a worker keeps in Redis beside its heartbeat, and `/mtls clusters` shows: small and bounded. */
export interface PreflightSummary {
  at: string;
  ready: boolean;
  /** Required items that do not work. */
  blocking: number;
  /** Optional items that do not work (checks skipped). */
  degraded: number;
  /** The items that do not work, required first, at most MAX_PROBLEMS. */
  problems: { name: string; required: boolean; enable: string }[];
}

export const MAX_PROBLEMS = 6;
const MAX_TEXT = 300;

export function summarisePreflight(report: PreflightReport): PreflightSummary {
  const failing = [...report.items.filter(isBlocking), ...report.items.filter(isDegraded)];
  return {
    at: report.at,
    ready: report.ready,
    blocking: report.items.filter(isBlocking).length,
    degraded: report.items.filter(isDegraded).length,
    problems: failing.slice(0, MAX_PROBLEMS).map((i) => ({ name: i.name.slice(0, 120), required: i.required, enable: (i.enable ?? i.detail).slice(0, MAX_TEXT) })),
  };
}

/** A stored summary read back; undefined when it is not one (an older worker, a damaged key). */
export function parsePreflightSummary(text: string | null | undefined): PreflightSummary | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<PreflightSummary>;
    if (typeof value.at !== "string" || typeof value.ready !== "boolean" || !Array.isArray(value.problems)) return undefined;
    return {
      at: value.at,
      ready: value.ready,
      blocking: Number(value.blocking) || 0,
      degraded: Number(value.degraded) || 0,
      problems: value.problems
        .filter((p): p is PreflightSummary["problems"][number] => typeof p?.name === "string" && typeof p.enable === "string")
        .map((p) => ({ name: p.name, required: p.required === true, enable: p.enable })),
    };
  } catch {
    return undefined;
  }
}
