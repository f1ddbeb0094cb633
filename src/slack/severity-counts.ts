import type { Severity } from "../checks/codes.js";
import type { Finding } from "../checks/finding.js";

export type SeverityCounts = Record<Severity, number>;

export function severityCounts(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** `1 critical, 2 warning`; `no findings` when there are none. Plain text: no markup. */
export function describeCounts(counts: SeverityCounts): string {
  const parts = (["critical", "warning", "info"] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(", ") : "no findings";
}
