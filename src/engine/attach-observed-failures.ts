import type { Code } from "../checks/codes.js";
import type { Finding } from "../checks/finding.js";

/**
 * Configuration findings that explain refused or failed TLS the proxies counted (FINDINGS.md MTLS701):
 * plaintext into STRICT, DestinationRules sending the wrong TLS, certificates and proxies out of step.
 * MTLS202 is not one: it says a pod beside the target may be a plaintext client, not that it is.
 */
const EXPLAINS_HANDSHAKE_FAILURES: readonly Code[] = [
  "MTLS201",
  "MTLS203",
  "MTLS204",
  "MTLS205",
  "MTLS206",
  "MTLS401",
  "MTLS403",
  "MTLS404",
  "MTLS601",
  "MTLS602",
];

/** Whether two findings are about a common port; a finding without ports is about the whole path. */
function sharePort(a: Finding, b: Finding): boolean {
  if (a.ports === undefined || b.ports === undefined) return true;
  return a.ports.some((p) => b.ports?.includes(p));
}

/**
 * MTLS701 stands alone only when no configuration finding explains what the proxies saw: otherwise
 * its counts join the evidence of the first finding (in report order) that explains them, on the same
 * port, and the MTLS701 is dropped.
 */
export function attachObservedFailures(findings: readonly Finding[]): Finding[] {
  const explainers = findings.filter((f) => EXPLAINS_HANDSHAKE_FAILURES.includes(f.code));
  const kept: Finding[] = [];
  for (const finding of findings) {
    const explainer = finding.code === "MTLS701" ? explainers.find((e) => sharePort(e, finding)) : undefined;
    if (!explainer) {
      kept.push(finding);
      continue;
    }
    explainer.evidence.push(`observed by the proxies: ${finding.message.replace(/, and no configuration finding explains them:.*$/, "")}`, ...finding.evidence);
  }
  return kept;
}
