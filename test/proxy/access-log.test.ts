import { describe, expect, it } from "vitest";
import { clusterTarget, isFailedEntry, parseAccessLogLine, readAccessLog } from "../../src/proxy/access-log.js";

// Lines in Istio's default text format (1.9+ with connection termination details, and 1.8's without),
// its JSON encoding, and the agent's own log lines that must not count as access-log entries.
const OUTBOUND_TLS_FAILURE =
  '[2026-11-27T11:50:00.010Z] "GET /api/v1/balance HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure,TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED} - "TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED" 0 190 1 - "-" "curl/8.5.0" "6a0f4a8c-1f2b-4c1e-9d6d-2f7c1b1b9e10" "wallet.pay:80" "10.8.1.12:8080" outbound|80||wallet.pay.svc.cluster.local - 10.96.4.12:80 10.8.2.21:51000 - default';
const INBOUND_PLAINTEXT =
  '[2026-11-27T11:40:01.201Z] "POST /v1/notes HTTP/1.1" 201 - via_upstream - "-" 311 64 4 3 "-" "python-requests/2.31" "0c3e" "notes.pay" "10.8.1.15:8080" inbound|8080|| 127.0.0.6:41234 10.8.1.15:8080 10.8.2.22:50312 - default';
const INBOUND_MTLS =
  '[2026-11-27T11:40:05.002Z] "GET /v1/notes HTTP/1.1" 200 - via_upstream - "-" 0 512 3 2 "-" "Go-http-client/1.1" "5f1c" "notes.pay:80" "10.8.1.15:8080" inbound|8080|| 127.0.0.6:41236 10.8.1.15:8080 10.8.2.21:39422 outbound_.80_._.notes.pay.svc.cluster.local default';
const TCP_18 =
  '[2020-11-25T21:26:18.409Z] "- - -" 0 UF,URX - "-" 0 0 1001 - "-" "-" "-" "-" "10.44.1.27:3306" outbound|3306||mysql.db.svc.cluster.local - 10.0.45.184:3306 10.44.1.23:46520 - -';

describe("Envoy access-log lines", () => {
  it("reads an outbound TLS failure: flags, failure reason, cluster, client", () => {
    const entry = parseAccessLogLine(OUTBOUND_TLS_FAILURE);
    expect(entry).toMatchObject({
      responseFlags: ["UF", "URX"],
      transportFailureReason: "TLS_error:_268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED",
      upstreamCluster: "outbound|80||wallet.pay.svc.cluster.local",
      downstreamIp: "10.8.2.21",
    });
    expect(entry?.requestedServerName).toBeUndefined();
    expect(entry && isFailedEntry(entry)).toBe(true);
    expect(clusterTarget(entry?.upstreamCluster)).toEqual({ direction: "outbound", port: 80, host: "wallet.pay.svc.cluster.local" });
  });

  it("tells plaintext (no SNI) from Istio mTLS (outbound_ SNI) on inbound lines", () => {
    const plain = parseAccessLogLine(INBOUND_PLAINTEXT);
    const mtls = parseAccessLogLine(INBOUND_MTLS);
    expect(plain?.requestedServerName).toBeUndefined();
    expect(mtls?.requestedServerName).toBe("outbound_.80_._.notes.pay.svc.cluster.local");
    expect(clusterTarget(plain?.upstreamCluster)).toEqual({ direction: "inbound", port: 8080 });
    expect(plain && isFailedEntry(plain)).toBe(false);
  });

  it("reads 1.8's format, without the termination details", () => {
    expect(parseAccessLogLine(TCP_18)).toMatchObject({ responseFlags: ["UF", "URX"], upstreamCluster: "outbound|3306||mysql.db.svc.cluster.local", downstreamIp: "10.44.1.23" });
  });

  it("reads JSON entries, with the peer identity where the format prints it", () => {
    const entry = parseAccessLogLine(
      JSON.stringify({ response_flags: "-", upstream_cluster: "inbound|8080||", downstream_remote_address: "10.8.2.21:39422", requested_server_name: null, downstream_peer_uri_san: "spiffe://cluster.local/ns/pay/sa/web" }),
    );
    expect(entry).toMatchObject({ upstreamCluster: "inbound|8080||", peerIdentity: "spiffe://cluster.local/ns/pay/sa/web", downstreamIp: "10.8.2.21" });
  });

  it("skips the agent's own lines, plain and JSON", () => {
    const log = [
      "2026-11-27T11:02:03.114Z\tinfo\tEnvoy proxy is ready",
      '{"level":"info","time":"2026-11-27T11:02:03Z","msg":"cache: generated new workload certificate"}',
      INBOUND_MTLS,
    ].join("\n");
    const read = readAccessLog(log);
    expect(read.lines).toBe(3);
    expect(read.entries).toHaveLength(1);
  });
});
