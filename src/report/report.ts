import type { Severity } from "../checks/codes.js";
import type { Finding } from "../checks/finding.js";
import type { ClientSends, Outcome, PortConnection } from "../mesh/connection.js";
import type { CertificateRow } from "../proxy/certificates.js";
import type { ObservedFigures } from "../mesh/observed-traffic.js";

export interface ReportPort {
  name?: string;
  port: number;
  targetPort: number | string;
  appProtocol?: string;
}

export interface MtlsRow {
  /** In `scan` reports, which Service the row is about (`ns/name`). */
  service?: string;
  port: number;
  targetPort: number | string;
  serverMode: "STRICT" | "PERMISSIVE" | "DISABLE";
  serverPolicy: string;
  clientSends: ClientSends | null;
  clientPolicy: string | null;
  outcome: Outcome;
  /** What the proxies counted for this port; absent when no proxy data was read. */
  observed?: ObservedFigures;
}

export type { CertificateRow };

export interface ProxyReport {
  pod: string;
  certificates: CertificateRow[];
}

export interface CheckStatus {
  name: string;
  status: "ran" | "skipped" | "failed";
  detail: string;
}

/** The report contract of DESIGN.md: what `--output json` prints and the worker renders to Slack. */
export interface Report {
  target: { service: string; namespace: string; ports: ReportPort[] } | null;
  source: { kind: string; name: string; namespace: string } | null;
  /** Scan reports: the namespaces covered. */
  scope?: { namespaces: string[] };
  verdict: "ok" | Severity;
  findings: Finding[];
  mtls: MtlsRow[];
  proxies: ProxyReport[];
  checks: CheckStatus[];
  /** When the diagnosis ran (or the `--now` it was told). */
  generatedAt: string;
}

/** A row of the report's mTLS table, from the connection the mesh semantics computed for a port. */
export function mtlsRow(c: PortConnection, observed?: ObservedFigures): MtlsRow {
  const row: MtlsRow = {
    port: c.port.port,
    targetPort: c.port.targetPort,
    serverMode: c.server.mode,
    serverPolicy: c.server.policyRef,
    clientSends: c.clientSends,
    clientPolicy: c.clientPolicy,
    outcome: c.outcome,
  };
  if (observed) row.observed = { ...observed, sources: [...observed.sources] };
  return row;
}
