import { isBlocking, isDegraded, type PreflightArea, type PreflightItem, type PreflightReport } from "./preflight-item.js";

const AREAS: readonly [PreflightArea, string][] = [
  ["slack", "Slack"],
  ["kubernetes", "Kubernetes access"],
  ["mesh", "Mesh"],
  ["redis", "Redis"],
  ["istioctl", "istioctl"],
];

function tag(item: PreflightItem): string {
  if (item.status === "ok") return "[ok]";
  if (item.status === "skipped") return "[skipped]";
  if (item.required) return item.status === "missing" ? "[MISSING]" : "[UNKNOWN]";
  return item.status === "missing" ? "[optional: missing]" : "[optional: unknown]";
}

/** The headline: ready or not, and how many items block or only skip something. */
export function preflightHeadline(report: PreflightReport): string {
  const blocking = report.items.filter(isBlocking).length;
  const degraded = report.items.filter(isDegraded).length;
  const skips = degraded > 0 ? `, ${degraded} optional item${degraded === 1 ? "" : "s"} missing (some checks are skipped)` : "";
  return report.ready
    ? `ready: everything required works${skips}`
    : `NOT READY: ${blocking} required item${blocking === 1 ? "" : "s"} missing${skips}`;
}

/** The report as a person reads it in a terminal: per area, what works, what is skipped, and how to enable it. */
export function renderPreflightText(report: PreflightReport): string {
  const lines = [`mtls-doctor preflight, cluster ${report.cluster}: ${preflightHeadline(report)}`];
  for (const [area, title] of AREAS) {
    const items = report.items.filter((i) => i.area === area);
    if (items.length === 0) continue;
    lines.push("", title);
    for (const item of items) {
      lines.push(`  ${tag(item).padEnd(20)} ${item.name}: ${item.detail}`);
      if (item.status !== "ok" && item.impact) lines.push(`  ${"".padEnd(20)}   without it: ${item.impact}`);
      if (item.status !== "ok" && item.enable) lines.push(`  ${"".padEnd(20)}   to enable: ${item.enable}`);
    }
  }
  lines.push("", report.ready ? "exit 0: required items work" : "exit 1: a required item is missing");
  return `${lines.join("\n")}\n`;
}
