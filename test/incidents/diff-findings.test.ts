import { describe, expect, it } from "vitest";
import { CHECKS } from "../../src/checks/registry.js";
import type { CheckStatus, Report } from "../../src/report/report.js";
import {
  diffFindings,
  fingerprintOf,
  namespaceOfResource,
  observeReport,
  type OpenFinding,
  type Observation,
} from "../../src/incidents/diff-findings.js";
import type { DiagnoseTarget } from "../../src/queue/jobs.js";
import { buildFinding, buildReport } from "../slack/build-report.js";

const ALL_RAN: CheckStatus[] = CHECKS.map((c) => ({ name: c.name, status: "ran", detail: "" }));
const SCAN_SHOP: DiagnoseTarget = { mode: "scan", namespaces: ["shop"] };
const CHECK_STOREFRONT: DiagnoseTarget = { mode: "check", service: "storefront", namespace: "shop" };
const CHECK_STOREFRONT_FROM_LEGACY: DiagnoseTarget = { mode: "check", service: "storefront", namespace: "shop", from: { name: "report", namespace: "legacy" } };
const CHECK_CHECKOUT: DiagnoseTarget = { mode: "check", service: "checkout", namespace: "shop" };

const drDisabled = buildFinding("MTLS203", { resource: "DestinationRule shop/storefront" });
const probe = buildFinding("MTLS501", { resource: "Pod shop/storefront-canary-1" });
const plaintextClient = buildFinding("MTLS201", { resource: "Deployment legacy/report" });

function scanReport(findings: Report["findings"], namespaces = ["shop"], checks = ALL_RAN): Report {
  return buildReport({ target: null, source: null, scope: { namespaces }, findings, checks, generatedAt: "2026-11-27T12:00:00.000Z" });
}

function checkReport(findings: Report["findings"], at = "2026-11-27T12:00:00.000Z"): Report {
  return buildReport({ findings, checks: ALL_RAN, generatedAt: at });
}

/** The open set after an observation opened everything it saw. */
function opened(observation: Observation): OpenFinding[] {
  return observation.seen.map((f) => ({ ...f, firstSeen: observation.at, lastSeen: observation.at, announcement: "incident-1", observers: [observation.observer] }));
}

describe("fingerprints", () => {
  it("are (cluster, code, resource), and know the namespace of the resource", () => {
    expect(fingerprintOf("prod", "MTLS203", "DestinationRule shop/storefront")).toBe("prod|MTLS203|DestinationRule shop/storefront");
    expect(namespaceOfResource("DestinationRule shop/storefront")).toBe("shop");
    expect(namespaceOfResource("Namespace legacy")).toBe("legacy");
    expect(namespaceOfResource("ClusterRole admin")).toBeUndefined();
  });
});

describe("observeReport", () => {
  it("keeps critical findings and expiring certificates, once per fingerprint", () => {
    const report = scanReport([
      drDisabled,
      buildFinding("MTLS203", { resource: "DestinationRule shop/storefront", message: "port 9090 too" }),
      buildFinding("MTLS202", { resource: "Pod shop/price-sync" }),
      buildFinding("MTLS402", { resource: "Pod shop/storefront-1" }),
      buildFinding("MTLS210", { resource: "Service shop/storefront" }),
    ]);
    const observation = observeReport(report, { cluster: "prod", target: SCAN_SHOP });
    expect(observation.seen.map((f) => `${f.code} ${f.resource}`)).toEqual(["MTLS203 DestinationRule shop/storefront", "MTLS402 Pod shop/storefront-1"]);
    expect(observation.observer).toBe("scan");
    expect(observation.namespaces).toEqual(["shop"]);
  });

  it("names a check by its target and client", () => {
    expect(observeReport(checkReport([]), { cluster: "prod", target: CHECK_STOREFRONT_FROM_LEGACY }).observer).toBe("check shop/storefront from legacy/report");
  });
});

describe("diffFindings", () => {
  it("opens what is new, keeps what persists, resolves what its observer no longer sees", () => {
    const first = observeReport(scanReport([drDisabled, probe]), { cluster: "prod", target: SCAN_SHOP });
    const open = opened(first);
    const again = observeReport(scanReport([drDisabled, probe]), { cluster: "prod", target: SCAN_SHOP });
    const same = diffFindings(open, { ...again, at: "2026-11-27T12:15:00.000Z" });
    expect(same.opened).toEqual([]);
    expect(same.resolved).toEqual([]);
    expect(same.stillOpen.map((f) => f.lastSeen)).toEqual(["2026-11-27T12:15:00.000Z", "2026-11-27T12:15:00.000Z"]);

    const fixed = diffFindings(open, observeReport(scanReport([probe]), { cluster: "prod", target: SCAN_SHOP }));
    expect(fixed.resolved.map((f) => f.code)).toEqual(["MTLS203"]);
    expect(fixed.stillOpen.map((f) => f.code)).toEqual(["MTLS501"]);
  });

  it("does not resolve from a check of another service, nor from a scan of other namespaces", () => {
    const open = opened(observeReport(scanReport([drDisabled]), { cluster: "prod", target: SCAN_SHOP }));
    expect(diffFindings(open, observeReport(checkReport([]), { cluster: "prod", target: CHECK_CHECKOUT })).resolved).toEqual([]);
    expect(diffFindings(open, observeReport(scanReport([], ["frontend"]), { cluster: "prod", target: { mode: "scan", namespaces: ["frontend"] } })).resolved).toEqual([]);
  });

  it("lets a check resolve only what checks of the same target and client saw", () => {
    const open = opened(observeReport(checkReport([plaintextClient]), { cluster: "prod", target: CHECK_STOREFRONT_FROM_LEGACY }));
    // Without the client, or in a scan, MTLS201 is not even looked for: its absence means nothing.
    expect(diffFindings(open, observeReport(checkReport([]), { cluster: "prod", target: CHECK_STOREFRONT })).resolved).toEqual([]);
    expect(diffFindings(open, observeReport(scanReport([], ["legacy", "shop"]), { cluster: "prod", target: SCAN_SHOP })).resolved).toEqual([]);
    expect(diffFindings(open, observeReport(checkReport([]), { cluster: "prod", target: CHECK_STOREFRONT_FROM_LEGACY })).resolved).toHaveLength(1);
  });

  it("lets a scan resolve a finding a check opened once a scan has seen it too", () => {
    const open = opened(observeReport(checkReport([drDisabled]), { cluster: "prod", target: CHECK_STOREFRONT }));
    const seenByScan = diffFindings(open, observeReport(scanReport([drDisabled]), { cluster: "prod", target: SCAN_SHOP })).stillOpen;
    expect(seenByScan[0]?.observers).toEqual(["check shop/storefront", "scan"]);
    expect(diffFindings(seenByScan, observeReport(scanReport([]), { cluster: "prod", target: SCAN_SHOP })).resolved).toHaveLength(1);
  });

  it("does not resolve a finding whose check could not run (its data was unavailable)", () => {
    const cert = buildFinding("MTLS401", { resource: "Pod shop/storefront-1" });
    const open = opened(observeReport(scanReport([cert]), { cluster: "prod", target: SCAN_SHOP }));
    const skipped = ALL_RAN.map((c): CheckStatus => (c.name === "certificates" ? { ...c, status: "skipped", detail: "no config dumps" } : c));
    expect(diffFindings(open, observeReport(scanReport([], ["shop"], skipped), { cluster: "prod", target: SCAN_SHOP })).resolved).toEqual([]);
  });

  it("forgets, without announcing, what nothing has seen for the stale window", () => {
    const open = opened(observeReport(checkReport([plaintextClient]), { cluster: "prod", target: CHECK_STOREFRONT_FROM_LEGACY }));
    const weekLater = observeReport(checkReport([], "2026-12-05T12:00:00.000Z"), { cluster: "prod", target: CHECK_CHECKOUT });
    const diff = diffFindings(open, weekLater);
    expect(diff.expired).toHaveLength(1);
    expect(diff.resolved).toEqual([]);
  });
});
