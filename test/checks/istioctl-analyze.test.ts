import { describe, expect, it } from "vitest";
import { istioctlAnalyze } from "../../src/checks/istioctl-analyze.js";
import { app, runCheck, snapshotOf } from "./check-fixtures.js";

describe("istioctl-analyze (MTLS903)", () => {
  it("passes messages through with istioctl's code, severity and resource", () => {
    const snapshot = snapshotOf(...app({ namespace: "shop", app: "api" }));
    snapshot.analyzeMessages = [
      { code: "IST0103", level: "Warning", message: "The pod shop/legacy-0 is missing the Istio proxy.", resource: "Pod shop/legacy-0" },
      { code: "IST0101", level: "Error", message: "Referenced host not found: \"reviews\"", resource: "VirtualService shop/reviews" },
      { code: "IST0102", level: "Info", message: "The namespace is not enabled for Istio injection.", resource: "Namespace legacy" },
      { code: "IST0000", level: "Debug", message: "Something istioctl added later" },
    ];
    const report = runCheck(istioctlAnalyze, snapshot, { service: "api", namespace: "shop" });
    expect(report.findings.map((f) => [f.code, f.upstreamCode, f.severity, f.resource])).toEqual([
      ["MTLS903", "IST0101", "critical", "VirtualService shop/reviews"],
      ["MTLS903", "IST0103", "warning", "Pod shop/legacy-0"],
      ["MTLS903", "IST0102", "info", "Namespace legacy"],
      ["MTLS903", "IST0000", "info", "Mesh"],
    ]);
    expect(report.findings[0]?.message).toBe('istioctl analyze IST0101: Referenced host not found: "reviews"');
    expect(report.findings[0]?.name).toBe("IstioctlAnalyzeMessage");
  });

  it("reports nothing for a clean analysis, and is skipped without one", () => {
    const clean = snapshotOf(...app({ namespace: "shop", app: "api" }));
    clean.analyzeMessages = [];
    const ran = runCheck(istioctlAnalyze, clean, { service: "api", namespace: "shop" });
    expect(ran.findings).toEqual([]);
    expect(ran.checks[0]?.status).toBe("ran");
    const none = runCheck(istioctlAnalyze, snapshotOf(...app({ namespace: "shop", app: "api" })), { service: "api", namespace: "shop" });
    expect(none.checks[0]?.status).toBe("skipped");
  });
});
