import { describe, expect, it } from "vitest";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { proxyLogs } from "../../src/checks/proxy-logs.js";
import { SHARED_AVAILABLE, sharedPath } from "../proxy/shared-data.js";
import { app, codesAndResources, podName, runCheck, snapshotOf, statusOf } from "./check-fixtures.js";

const FAILING = [
  `[2026-11-27T11:58:02.412Z] "GET /api HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED} - 0 190 10 - "-" "curl/8.5.0" outbound|80||catalog.storefront.svc.cluster.local`,
  `2026-11-27T11:58:05.000Z\twarning\tenvoy connection\t[C124] TLS error: 268436502:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN`,
  `[2026-11-27T11:58:06.000Z] "GET /healthz HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" "kube-probe/1.30" inbound|8080||`,
  `2026-11-27T11:58:07.000Z\terror\tcache\tresource:default failed to generate secret for proxy from secret cache: failed to sign CSR: rpc error: code = Unavailable`,
  `2026-11-27T11:58:08.000Z\terror\tsds\tx509: certificate signed by unknown authority`,
].join("\n");
const CLEAN = `[2026-11-27T11:58:06.000Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 2 1 1 "-" "web/1.0" inbound|8080||\n`;

describe("proxy-logs (MTLS405)", () => {
  it("reports the pod whose log holds TLS failures, with the count and three samples, not the clean one", () => {
    const snapshot = snapshotOf(...app({ namespace: "shop", app: "api", pods: ["p1", "p2"] }), ...app({ namespace: "web", app: "web" }));
    snapshot.proxies.set(`shop/${podName("api", "p1")}`, { log: FAILING });
    snapshot.proxies.set(`shop/${podName("api", "p2")}`, { log: CLEAN });
    snapshot.proxies.set(`web/${podName("web")}`, { log: CLEAN });
    const report = runCheck(proxyLogs, snapshot, { service: "api", namespace: "shop" }, { from: { name: "web", namespace: "web" } });
    expect(codesAndResources(report.findings)).toEqual([`MTLS405 Pod shop/${podName("api", "p1")}`]);
    const [finding] = report.findings;
    expect(finding?.message).toMatch(
      new RegExp(`^The proxy log of pod shop/${podName("api", "p1")} holds 4 TLS failure line\\(s\\) \\(CERTIFICATE_VERIFY_FAILED, SSLV3_ALERT, CSR signing, x509\\), e\\.g\\. "`),
    );
    expect(finding?.message).toContain("SSLV3_ALERT_CERTIFICATE_UNKNOWN");
    expect(finding?.evidence).toHaveLength(3);
    expect(finding?.evidence[2]).toContain("failed to sign CSR");
  });

  it("is skipped when no proxy log was collected", () => {
    const report = runCheck(proxyLogs, snapshotOf(...app({ namespace: "shop", app: "api" })), { service: "api", namespace: "shop" });
    expect(report.checks[0]?.status).toBe("skipped");
  });
});

describe.skipIf(!SHARED_AVAILABLE)("proxy-logs on the healthy scenario", () => {
  it("finds the access logs clean", async () => {
    const snapshot = await loadSnapshotDir(sharedPath("scenarios/09-healthy-mesh/snapshot"));
    const report = runCheck(proxyLogs, snapshot, { service: "recommendations", namespace: "recs" }, { from: { name: "storefront-web", namespace: "web" } });
    expect(statusOf(report)).toBe("ran");
    expect(report.findings).toEqual([]);
  });
});
