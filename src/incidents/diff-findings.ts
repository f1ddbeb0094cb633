// What the incident channel should hear after a report: which incident-worthy findings are new, which
// persist, and which are gone. Pure: the open set comes from Redis (incident-state.ts), the decision
// is made here.
import type { Severity } from "../checks/codes.js";
import type { Finding } from "../checks/finding.js";
import { CHECKS } from "../checks/registry.js";
import type { Check } from "../checks/types.js";
import type { DiagnoseTarget } from "../queue/jobs.js";
import type { Report } from "../report/report.js";

/** An open finding nothing has seen for this long is forgotten without an announcement. */
export const STALE_AFTER_MS = 7 * 24 * 3600 * 1000;

/** The observer name of scans: every scan judges the namespaces it covers. */
export const SCAN_OBSERVER = "scan";

/** What the incident channel hears about: traffic refused now, or soon (a certificate about to expire). */
export function isIncidentWorthy(finding: Pick<Finding, "code" | "severity">): boolean {
  return finding.severity === "critical" || finding.code === "MTLS402";
}

/** One finding as the incident logic tracks it: the fingerprint is (cluster, code, resource). */
export interface TrackedFinding {
  fingerprint: string;
  code: string;
  name: string;
  severity: Severity;
  resource: string;
  /** The namespace of the resource (a Namespace's own name); absent for cluster-scoped objects. */
  namespace?: string;
  message: string;
}

export interface OpenFinding extends TrackedFinding {
  firstSeen: string;
  lastSeen: string;
  /** The notification that announced it: its resolution is posted in that message's thread. */
  announcement: string;
  /**
   * Who has seen it: `scan`, or `check <ns>/<service>[ from <ns>/<name>]`. Only a report of one of
   * them can tell that it is gone: a check of another service, or a check without the client that
   * made a finding, would simply not have looked.
   */
  observers: string[];
}

/** The incident-relevant content of one report. */
export interface Observation {
  cluster: string;
  observer: string;
  /** Scans: the namespaces the scan covered. */
  namespaces?: string[];
  /** Codes whose checks ran: an open finding of another code (its data was unavailable) is not judged. */
  judgedCodes: string[];
  /** Incident-worthy findings, one per fingerprint. */
  seen: TrackedFinding[];
  /** When the report was made (RFC 3339). */
  at: string;
}

export interface FindingsDiff {
  opened: TrackedFinding[];
  /** Seen again: `lastSeen` and `observers` updated. */
  stillOpen: OpenFinding[];
  resolved: OpenFinding[];
  /** Not seen by anything for the stale window: forgotten silently. */
  expired: OpenFinding[];
}

export function fingerprintOf(cluster: string, code: string, resource: string): string {
  return `${cluster}|${code}|${resource}`;
}

/** `Kind ns/name` → ns; `Namespace name` → name; `Kind name` (cluster-scoped) → undefined. */
export function namespaceOfResource(resource: string): string | undefined {
  const match = /^(\S+) (\S+)$/.exec(resource.trim());
  if (!match) return undefined;
  const [, kind, ref = ""] = match;
  const slash = ref.indexOf("/");
  if (slash > 0) return ref.slice(0, slash);
  return kind === "Namespace" ? ref : undefined;
}

/** `check shop/storefront`, `check shop/storefront from shop/checkout`, or `scan`. */
export function observerOf(target: DiagnoseTarget): string {
  if (target.mode === "scan") return SCAN_OBSERVER;
  const from = target.from ? ` from ${target.from.namespace}/${target.from.name}` : "";
  return `check ${target.namespace}/${target.service}${from}`;
}

function judgedCodes(report: Report, checks: readonly Check[]): string[] {
  const ran = new Set(report.checks.filter((c) => c.status === "ran").map((c) => c.name));
  return [...new Set(checks.filter((c) => ran.has(c.name)).flatMap((c) => [...c.codes]))];
}

export function trackedFinding(cluster: string, finding: Finding): TrackedFinding {
  const tracked: TrackedFinding = {
    fingerprint: fingerprintOf(cluster, finding.code, finding.resource),
    code: finding.code,
    name: finding.name,
    severity: finding.severity,
    resource: finding.resource,
    message: finding.message,
  };
  const namespace = namespaceOfResource(finding.resource);
  if (namespace !== undefined) tracked.namespace = namespace;
  return tracked;
}

/** The observation of a report: what the request was, which codes it could judge, what it saw. */
export function observeReport(report: Report, request: { cluster: string; target: DiagnoseTarget }, checks: readonly Check[] = CHECKS): Observation {
  const seen = new Map<string, TrackedFinding>();
  for (const finding of report.findings) {
    if (!isIncidentWorthy(finding)) continue;
    const tracked = trackedFinding(request.cluster, finding);
    if (!seen.has(tracked.fingerprint)) seen.set(tracked.fingerprint, tracked);
  }
  const observation: Observation = {
    cluster: request.cluster,
    observer: observerOf(request.target),
    judgedCodes: judgedCodes(report, checks),
    seen: [...seen.values()],
    at: report.generatedAt,
  };
  if (request.target.mode === "scan") observation.namespaces = [...(report.scope?.namespaces ?? request.target.namespaces)];
  return observation;
}

/**
 * Whether an observation would have seen an open finding again had it persisted: its check ran, one
 * of the finding's observers made the observation, and for a scan the resource is in a namespace the
 * scan covered. A check of one service therefore only judges what checks of that service (and client)
 * have seen; a scan judges what scans have seen in its namespaces.
 */
export function covers(observation: Observation, open: OpenFinding): boolean {
  if (!observation.judgedCodes.includes(open.code)) return false;
  if (!open.observers.includes(observation.observer)) return false;
  if (observation.observer !== SCAN_OBSERVER) return true;
  return open.namespace !== undefined && (observation.namespaces ?? []).includes(open.namespace);
}

/** Previous open set + a new observation → opened, still open, resolved, expired. */
export function diffFindings(open: Iterable<OpenFinding>, observation: Observation, staleAfterMs = STALE_AFTER_MS): FindingsDiff {
  const seen = new Map(observation.seen.map((f) => [f.fingerprint, f]));
  const known = new Set<string>();
  const diff: FindingsDiff = { opened: [], stillOpen: [], resolved: [], expired: [] };
  const at = Date.parse(observation.at);
  for (const entry of open) {
    known.add(entry.fingerprint);
    if (seen.has(entry.fingerprint)) {
      const observers = entry.observers.includes(observation.observer) ? entry.observers : [...entry.observers, observation.observer];
      const lastSeen = Date.parse(entry.lastSeen) > at ? entry.lastSeen : observation.at;
      diff.stillOpen.push({ ...entry, lastSeen, observers });
    } else if (covers(observation, entry)) {
      diff.resolved.push(entry);
    } else if (at - Date.parse(entry.lastSeen) > staleAfterMs) {
      diff.expired.push(entry);
    }
  }
  diff.opened = observation.seen.filter((f) => !known.has(f.fingerprint));
  return diff;
}

/** Whether a diff changes anything worth writing. */
export function hasChanges(diff: FindingsDiff): boolean {
  return diff.opened.length + diff.stillOpen.length + diff.resolved.length + diff.expired.length > 0;
}
