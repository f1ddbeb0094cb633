import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseObjectFile } from "../../src/cluster/load-snapshot-dir.js";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import { diagnose } from "../../src/engine/diagnose.js";
import { upstreamPath } from "../support/upstream-data.js";

const analyzers = upstreamPath("istio/analyzers");

function scanFile(file: string) {
  const snapshot = emptySnapshot();
  const full = path.join(analyzers, file);
  for (const obj of parseObjectFile(readFileSync(full, "utf8"), full)) addObject(snapshot, obj);
  return diagnose(snapshot, { mode: "scan", namespaces: [], now: new Date("2026-11-27T12:00:00Z") });
}

function resources(report: ReturnType<typeof scanFile>, code: string): string[] {
  return report.findings.filter((f) => f.code === code).map((f) => f.resource).sort();
}

// Istio's expected results for its own analyzer test data (../shared/upstream/README.md), mapped to
// our codes: IST0102 → MTLS102, IST0103 → MTLS101, IST0123 → MTLS106, IST0127 → MTLS304, IST0101 → MTLS303.
describe("scan over Istio's analyzer test data gives Istio's results", () => {
  it("injection.yaml: NamespaceNotInjected, PodMissingProxy, NamespaceMultipleInjectionLabels", () => {
    const report = scanFile("injection.yaml");
    expect(resources(report, "MTLS102")).toEqual(["Namespace bar"]);
    expect(resources(report, "MTLS101")).toEqual(["Pod default/noninjectedpod"]);
    expect(resources(report, "MTLS106")).toEqual([
      "Namespace busted",
      "Namespace multi-ns-1",
      "Namespace multi-ns-2",
      "Namespace multi-ns-3",
    ]);
  });

  it("authorizationpolicies.yaml: NoMatchingWorkloadsFound and ReferencedResourceNotFound", () => {
    const report = scanFile("authorizationpolicies.yaml");
    expect(resources(report, "MTLS304")).toEqual([
      "AuthorizationPolicy httpbin-empty/httpbin-empty-namespace-wide",
      "AuthorizationPolicy httpbin/httpbin-nopods",
      "AuthorizationPolicy istio-system/meshwide-httpbin-v1",
      "AuthorizationPolicy test-ambient/no-workload",
    ]);
    expect(resources(report, "MTLS303")).toEqual([
      "AuthorizationPolicy httpbin/httpbin-bogus-not-ns",
      "AuthorizationPolicy httpbin/httpbin-bogus-not-ns",
      "AuthorizationPolicy httpbin/httpbin-bogus-ns",
      "AuthorizationPolicy httpbin/httpbin-bogus-ns",
    ]);
    const entries = report.findings.filter((f) => f.code === "MTLS303").map((f) => /entry "([^"]+)"/.exec(f.message)?.[1]);
    expect(entries.sort()).toEqual(["*-bogus", "*-bogus", "bogus-*", "bogus-*"]);
  });
});
