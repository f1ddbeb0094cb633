import type { Report } from "../report/report.js";

/**
 * What a report is about, as plain (unescaped) text: `inventory.shop`, `scan of shop, billing`, or the
 * service that was asked for when it does not exist (MTLS901 names it).
 */
export function reportSubject(report: Report): string {
  if (report.target) return `${report.target.service}.${report.target.namespace}`;
  if (report.scope) {
    const ns = report.scope.namespaces;
    if (ns.length === 0) return "scan";
    return ns.length <= 5 ? `scan of ${ns.join(", ")}` : `scan of ${ns.length} namespaces`;
  }
  const missing = report.findings.find((f) => f.code === "MTLS901")?.resource.match(/^Service ([^/\s]+)\/(\S+)$/);
  if (missing) return `${missing[2]}.${missing[1]} (not found)`;
  return "the requested service";
}
