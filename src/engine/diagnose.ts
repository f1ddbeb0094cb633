import type { ClusterSnapshot, Input } from "../cluster/snapshot.js";
import { ReadTracker, SnapshotView } from "../cluster/snapshot-view.js";
import { SEVERITY_RANK } from "../checks/codes.js";
import type { Finding } from "../checks/finding.js";
import { CHECKS } from "../checks/registry.js";
import type { Check, CheckContext, CheckOptions, Source, Target } from "../checks/types.js";
import { clientFromSource, connectionFor, meshClientIn } from "../mesh/connection.js";
import { mtlsRow, type CheckStatus, type MtlsRow, type Report } from "../report/report.js";
import { proxyReports } from "../report/proxy-reports.js";
import type { DiagnoseRequest } from "./request.js";
import type { Pod } from "../cluster/kube-types.js";
import { hasProxy, podRef } from "../mesh/proxy.js";
import { resolveSource, resolveTarget, targetFromService } from "./resolve.js";
import { attachObservedFailures } from "./attach-observed-failures.js";
import { observationsFor } from "../mesh/observed-traffic.js";

export const DEFAULT_CHECK_OPTIONS: CheckOptions = { certificateWarningMs: 60 * 60 * 1000 };

export interface DiagnoseOptions {
  checks?: readonly Check[];
  options?: Partial<CheckOptions>;
  /** Told which inputs each check read (the meta-tests compare them with what checks declare). */
  onInputsRead?: (check: Check, inputs: ReadonlySet<Input>) => void;
}

interface Scope {
  targets: Target[];
  source?: Source;
  namespaces: string[];
  missing: CheckContext["missing"];
  /** Why the target could not be looked up at all (its Services could not be read): no check can run. */
  unresolved?: string;
}

/** Namespaces a scan covers when none are named: every namespace but Kubernetes' own. */
export function defaultScanNamespaces(view: SnapshotView): string[] {
  return view.namespaceNames().filter((n) => !n.startsWith("kube-"));
}

function resolveScope(view: SnapshotView, request: DiagnoseRequest): Scope {
  if (request.mode === "scan") {
    const namespaces = request.namespaces.length > 0 ? [...request.namespaces] : defaultScanNamespaces(view);
    const targets = namespaces.flatMap((ns) => view.services(ns).map((s) => targetFromService(view, s)));
    return { targets, namespaces, missing: {} };
  }
  const scope: Scope = { targets: [], namespaces: [request.target.namespace], missing: {} };
  const target = resolveTarget(view, request.target);
  const servicesUnreadable = view.unavailable("services");
  if (target) scope.targets.push(target);
  else if (servicesUnreadable !== undefined) scope.unresolved = `the target could not be looked up: ${servicesUnreadable}`;
  else scope.missing.target = request.target;
  if (request.from) {
    const source = resolveSource(view, request.from);
    if (source) scope.source = source;
    else scope.missing.source = request.from;
    if (!scope.namespaces.includes(request.from.namespace)) scope.namespaces.push(request.from.namespace);
  }
  return scope;
}

function runCheck(
  check: Check,
  base: SnapshotView,
  snapshot: ClusterSnapshot,
  scope: Scope,
  request: DiagnoseRequest,
  options: DiagnoseOptions & { checkOptions: CheckOptions },
  findings: Finding[],
): CheckStatus {
  const status = (s: CheckStatus["status"], detail: string): CheckStatus => ({ name: check.name, status: s, detail });
  if (scope.unresolved !== undefined) return status("skipped", scope.unresolved);
  if (scope.missing.target && !check.codes.includes("MTLS901")) {
    return status("skipped", `service ${request.mode === "check" ? `${request.target.service}.${request.target.namespace}` : ""} does not exist`);
  }
  const optional = new Set(check.optional ?? []);
  // Optional inputs skip the check only when every one of them is missing.
  const allOptionalMissing = [...optional].every((i) => snapshot.unavailable[i] !== undefined);
  const required = check.inputs.filter((i) => !optional.has(i) || allOptionalMissing);
  const unavailable = required.map((i) => snapshot.unavailable[i]).filter((r): r is string => r !== undefined);
  if (unavailable.length > 0) return status("skipped", [...new Set(unavailable)].join("; "));
  const own: Finding[] = [];
  let skipped: string | undefined;
  const notes: string[] = [];
  const tracker = new ReadTracker(new Set(check.inputs));
  const ctx: CheckContext = {
    view: base.withTracker(tracker),
    mode: request.mode,
    now: request.now,
    targets: scope.targets,
    namespaces: scope.namespaces,
    options: options.checkOptions,
    missing: scope.missing,
    report: (f) => own.push(f),
    skip: (reason) => {
      skipped = reason;
    },
    note: (text) => {
      if (!notes.includes(text)) notes.push(text);
    },
    ...(scope.source ? { source: scope.source } : {}),
  };
  try {
    check.run(ctx);
  } catch (err) {
    return status("failed", `${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    options.onInputsRead?.(check, tracker.read);
  }
  findings.push(...own);
  if (skipped !== undefined && own.length === 0) return status("skipped", [skipped, ...notes].join("; "));
  return status("ran", [own.length === 0 ? "no findings" : `${own.length} finding(s)`, ...notes].join("; "));
}

const PROXY_INPUTS: readonly Input[] = ["configDumps", "proxyLogs", "proxyStats"];

/**
 * How many of the path's proxies the snapshot holds data of, when not all: a live check inspects at
 * most 3 per workload, and a person reading "no findings" should know it covered 3 of 40 pods.
 */
function inspectionNote(snapshot: ClusterSnapshot, scope: Scope): string | undefined {
  const side = (pods: readonly Pod[], name: string) => {
    const withProxy = pods.filter(hasProxy);
    const read = withProxy.filter((p) => snapshot.proxies.has(podRef(p))).length;
    return { text: `${read} of ${withProxy.length} ${name} pods`, partial: read < withProxy.length && read > 0 };
  };
  const sides = [side(scope.targets.flatMap((t) => t.pods), "target"), ...(scope.source ? [side(scope.source.pods, "source")] : [])];
  if (!sides.some((s) => s.partial)) return undefined;
  return `proxies of ${sides.map((s) => s.text).join(" and ")} were inspected`;
}

function dedupeAndOrder(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = `${f.code}|${f.resource}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Stable: within a severity, findings keep the order of the checks that made them.
  return unique.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
}

function mtlsRows(view: SnapshotView, scope: Scope, scan: boolean): MtlsRow[] {
  const rows: MtlsRow[] = [];
  for (const target of scope.targets) {
    const client = scope.source ? clientFromSource(view, scope.source) : meshClientIn(target.namespace);
    const observed = observationsFor(view, target, scope.source, client).figures;
    for (const c of connectionFor(view, target, client)) {
      const row = mtlsRow(c, observed.get(c.port.port));
      rows.push(scan ? { service: `${target.namespace}/${target.name}`, ...row } : row);
    }
  }
  return rows;
}

/**
 * Runs the checks over a snapshot and builds the report. Checks are isolated: one that throws is
 * reported as failed and the others still run; one whose inputs could not be collected is skipped
 * with the collector's reason.
 */
export function diagnose(snapshot: ClusterSnapshot, request: DiagnoseRequest, options: DiagnoseOptions = {}): Report {
  const base = new SnapshotView(snapshot);
  const checkOptions: CheckOptions = { ...DEFAULT_CHECK_OPTIONS, ...options.options };
  const scope = resolveScope(base, request);
  const findings: Finding[] = [];
  const inspected = request.mode === "check" ? inspectionNote(snapshot, scope) : undefined;
  const checks = (options.checks ?? CHECKS).map((check) => {
    const status = runCheck(check, base, snapshot, scope, request, { ...options, checkOptions }, findings);
    const readsProxies = check.inputs.some((i) => PROXY_INPUTS.includes(i));
    return inspected && readsProxies && status.status === "ran" ? { ...status, detail: `${status.detail}; ${inspected}` } : status;
  });
  const ordered = attachObservedFailures(dedupeAndOrder(findings));
  const worst = ordered[0]?.severity;
  const target = request.mode === "check" && scope.targets[0] ? scope.targets[0] : undefined;
  const report: Report = {
    target: target
      ? { service: target.name, namespace: target.namespace, ports: target.ports.map((p) => ({ ...p })) }
      : null,
    source: scope.source ? { kind: scope.source.kind, name: scope.source.name, namespace: scope.source.namespace } : null,
    verdict: worst ?? "ok",
    findings: ordered,
    mtls: scope.missing.target || scope.unresolved ? [] : mtlsRows(base, scope, request.mode === "scan"),
    proxies: request.mode === "check" ? proxyReports(base, [...(target?.pods ?? []), ...(scope.source?.pods ?? [])], request.now) : [],
    checks,
    generatedAt: request.now.toISOString(),
  };
  if (request.mode === "scan") report.scope = { namespaces: scope.namespaces };
  return report;
}
