import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scanTlsFailures } from "../../src/proxy/log-scan.js";
import { readSharedText, SHARED_AVAILABLE, sharedPath } from "./shared-data.js";

const FAILING_LOG = [
  `2026-11-27T11:58:01.120Z\tinfo\txdsproxy\tconnected to delta upstream XDS server: istiod.istio-system.svc:15012`,
  `[2026-11-27T11:58:02.412Z] "GET /api HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED} - "TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED" 0 190 10 - "-" "curl/8.5.0" "c0a5" "catalog.storefront" "10.44.1.9:8080" outbound|80||catalog.storefront.svc.cluster.local - 10.96.3.4:80 10.44.2.7:40112 - default`,
  `[2026-11-27T11:58:03.000Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" "-" "-" "-" - - 10.44.1.9:8080 10.44.2.8:51234 - -`,
  `2026-11-27T11:58:04.500Z\tdebug\tenvoy connection\t[C123] remote address:10.44.2.8:51240,TLS_error:|268435612:SSL routines:OPENSSL_internal:HTTP_REQUEST:TLS_error_end`,
  `2026-11-27T11:58:05.000Z\twarning\tenvoy connection\t[C124] TLS error: 268436502:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_UNKNOWN`,
  `2026-11-27T11:58:06.000Z\twarn\tca\tca request failed, starting attempt 1 in 91.29ms`,
  `2026-11-27T11:58:07.000Z\terror\tcache\tresource:default failed to generate secret for proxy from secret cache: failed to sign CSR: rpc error: code = Unavailable`,
  `2026-11-27T11:58:08.000Z\terror\tsds\tfailed to connect: x509: certificate signed by unknown authority`,
  `2026-11-27T11:58:09.000Z\twarning\tenvoy connection\tpeer did not return a certificate`,
].join("\n");

describe("TLS failures in proxy logs", () => {
  it("counts every TLS failure line and keeps the first three as samples", () => {
    const scan = scanTlsFailures(FAILING_LOG);
    expect(scan.count).toBe(7);
    expect(scan.samples).toHaveLength(3);
    expect(scan.samples[0]).toContain("CERTIFICATE_VERIFY_FAILED");
    expect(scan.samples[1]).toContain("HTTP_REQUEST");
    expect(scan.kinds).toEqual(["CERTIFICATE_VERIFY_FAILED", "TLS error", "SSLV3_ALERT", "certificate signing", "CSR signing", "x509", "peer did not return a certificate"]);
  });

  it("finds the other reasons FINDINGS.md lists", () => {
    for (const line of [
      "TLS_error:|268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER",
      "OpenSSL SSL_do_handshake: handshake failure",
      "remote error: tls: unknown ca",
      "x509: certificate has expired or is not yet valid: current time 2026-11-27T12:00:00Z is after 2026-11-26T08:16:03Z",
      "TLSV1_ALERT_UNKNOWN_CA",
      "error\tcitadelclient\tfailed to create certificate: rpc error: code = Unauthenticated",
    ]) {
      expect(scanTlsFailures(line).count, line).toBe(1);
    }
  });

  it("cuts long sample lines", () => {
    const scan = scanTlsFailures(`CERTIFICATE_VERIFY_FAILED ${"x".repeat(1000)}`, { maxSampleLength: 50 });
    expect(scan.samples[0]).toHaveLength(50);
  });

  it("does not flag the agent's normal start-up and rotation lines", () => {
    const healthy = [
      "2026-11-27T09:45:00.100Z\tinfo\tcache\tgenerated new workload certificate\tresourceName=default latency=120ms ttl=23h59m59s",
      "2026-11-27T09:45:00.101Z\tinfo\tcache\tRoot cert has changed, start rotating root cert",
      "2026-11-27T09:45:00.102Z\tinfo\tcitadelclient\tCitadel client using custom root cert: istiod.istio-system.svc:15012",
      "2026-11-27T09:45:00.200Z\tinfo\tads\tSDS: PUSH request for node:recommendations-qbmtpxv7p-qrp7h.recs resources:1 size:4.0kB resource:default",
      "2026-11-27T09:45:01.000Z\tinfo\tEnvoy proxy is ready",
    ].join("\n");
    expect(scanTlsFailures(healthy)).toEqual({ count: 0, samples: [], kinds: [] });
  });
});

describe.skipIf(!SHARED_AVAILABLE)("TLS failures in the healthy scenario", () => {
  it("finds none in the clean proxy logs", () => {
    const dir = sharedPath("scenarios/09-healthy-mesh/snapshot/proxies/recs");
    const pods = readdirSync(dir);
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      const log = readSharedText(`scenarios/09-healthy-mesh/snapshot/proxies/recs/${pod}/istio-proxy.log`);
      expect(scanTlsFailures(log).count).toBe(0);
    }
  });
});
