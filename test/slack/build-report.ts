import { CODES, type Code } from "../../src/checks/codes.js";
import type { Finding, Fix } from "../../src/checks/finding.js";
import type { Report } from "../../src/report/report.js";

/** A finding with the name and severity of its code, as the codes table would give them. */
export function buildFinding(code: Code, overrides: Partial<Finding> = {}): Finding {
  return {
    code,
    name: CODES[code].name,
    severity: CODES[code].severity,
    resource: "Pod shop/inventory-1",
    message: `${code} message`,
    evidence: [],
    fixes: [],
    ...overrides,
  };
}

export function buildFix(overrides: Partial<Fix> = {}): Fix {
  return {
    title: "Accept plaintext on container port 8080 of inventory (port-level PERMISSIVE exception)",
    risk: "low",
    yaml: 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: inventory-permissive-8080\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: inventory\n  portLevelMtls:\n    "8080":\n      mode: PERMISSIVE\n',
    targets: ["PeerAuthentication shop/inventory-permissive-8080"],
    ...overrides,
  };
}

/** A check report for inventory.shop from report-generator.legacy; the verdict follows the findings. */
export function buildReport(overrides: Partial<Report> = {}): Report {
  const findings = overrides.findings ?? [];
  const rank = { critical: 3, warning: 2, info: 1 } as const;
  const worst = findings.reduce<Report["verdict"]>((w, f) => (w === "ok" || rank[f.severity] > rank[w] ? f.severity : w), "ok");
  return {
    target: { service: "inventory", namespace: "shop", ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    source: { kind: "Deployment", name: "report-generator", namespace: "legacy" },
    verdict: worst,
    findings,
    mtls: [
      {
        port: 80,
        targetPort: 8080,
        serverMode: "STRICT",
        serverPolicy: "istio-system/default",
        clientSends: "PLAINTEXT",
        clientPolicy: null,
        outcome: "refused",
      },
    ],
    proxies: [],
    checks: [{ name: "target-resolution", status: "ran", detail: "no findings" }],
    generatedAt: "2026-11-27T12:00:00.000Z",
    ...overrides,
  };
}
