import { describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { proxySync } from "../../src/checks/proxy-sync.js";
import { parseProxyStatus } from "../../src/proxy/proxy-status.js";
import { SHARED_AVAILABLE, sharedPath } from "../proxy/shared-data.js";
import { app, codesAndResources, podName, runCheck, scanWith, snapshotOf, statusOf } from "./check-fixtures.js";

function mesh() {
  return snapshotOf(
    ...app({ namespace: "recs", app: "recs", pods: ["p1", "p2", "p3"] }),
    ...app({ namespace: "web", app: "web" }),
    ...app({ namespace: "web", app: "starting", phase: "Pending" }),
    ...app({ namespace: "web", app: "plain", proxy: false }),
  );
}

const STATUS = [
  "NAME                              CLUSTER        CDS                LDS          EDS        RDS        ECDS        ISTIOD              VERSION",
  // Older istioctl prints NOT SENT for an unused ECDS: that is fine.
  `${podName("recs", "p1")}.recs     Kubernetes     SYNCED (2m)        SYNCED       SYNCED     SYNCED     NOT SENT     istiod-1a2b3c4d     1.26.4`,
  `${podName("recs", "p2")}.recs     Kubernetes     STALE (Never Acknowledged)     NOT SENT     SYNCED     STALE      IGNORED     istiod-1a2b3c4d     1.26.4`,
  `${podName("web")}.web             Kubernetes     SYNCED (1m)        SYNCED       SYNCED     SYNCED     IGNORED     istiod-1a2b3c4d     1.26.4`,
].join("\n");

describe("proxy-sync (MTLS104)", () => {
  it("reports a target proxy with stale configuration and one missing from proxy-status, not the synced ones", () => {
    const snapshot = mesh();
    snapshot.proxyStatus = parseProxyStatus(STATUS.replace(/ {2,}/g, "\t"));
    const report = runCheck(proxySync, snapshot, { service: "recs", namespace: "recs" }, { from: { name: "web", namespace: "web" } });
    expect(statusOf(report)).toBe("ran");
    expect(codesAndResources(report.findings)).toEqual([`MTLS104 Pod recs/${podName("recs", "p2")}`, `MTLS104 Pod recs/${podName("recs", "p3")}`]);
    const [stale, missing] = report.findings;
    expect(stale?.message).toBe(
      `The proxy of pod recs/${podName("recs", "p2")} has STALE CDS, RDS and NOT SENT LDS configuration from istiod-1a2b3c4d: it is not running the current mesh policy.`,
    );
    expect(stale?.evidence[0]).toContain("CDS STALE, LDS NOT SENT, EDS SYNCED, RDS STALE, ECDS IGNORED (istiod istiod-1a2b3c4d, version 1.26.4)");
    expect(missing?.message).toMatch(/is not connected to the control plane/);
  });

  it("ignores pending pods and pods without a proxy, and covers every pod in a scan", () => {
    const snapshot = mesh();
    snapshot.proxyStatus = parseProxyStatus(STATUS.replace(/ {2,}/g, "\t"));
    const report = scanWith(proxySync, snapshot, ["web", "recs"]);
    const resources = report.findings.map((f) => f.resource);
    expect(resources).toEqual([`Pod recs/${podName("recs", "p2")}`, `Pod recs/${podName("recs", "p3")}`]);
  });

  it("does nothing without proxy-status data and says why", () => {
    const report = runCheck(proxySync, mesh(), { service: "recs", namespace: "recs" });
    expect(report.findings).toEqual([]);
    expect(report.checks[0]).toMatchObject({ status: "skipped" });
  });

  it("is skipped with the collector's reason when proxy-status could not be collected", () => {
    const snapshot = mesh();
    snapshot.unavailable.proxyStatus = "istioctl is not installed in the worker image";
    const report = runCheck(proxySync, snapshot, { service: "recs", namespace: "recs" });
    expect(report.checks[0]).toEqual({ name: "proxy-sync", status: "skipped", detail: "istioctl is not installed in the worker image" });
  });
});

describe.skipIf(!SHARED_AVAILABLE)("proxy-sync on the healthy scenario", () => {
  it("finds every proxy SYNCED", async () => {
    const snapshot = await loadSnapshotDir(sharedPath("scenarios/09-healthy-mesh/snapshot"));
    const report = runCheck(proxySync, snapshot, { service: "recommendations", namespace: "recs" }, { from: { name: "storefront-web", namespace: "web" } });
    expect(statusOf(report)).toBe("ran");
    expect(report.findings).toEqual([]);
  });
});
