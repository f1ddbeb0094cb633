import { describe, expect, it } from "vitest";
import {
  hasInboundSslStats,
  hasOutboundSslStats,
  inboundTlsFailures,
  istioTraffic,
  outboundTlsFailures,
  readProxyStats,
} from "../../src/proxy/envoy-stats.js";
import { parsePrometheusText, sumOf } from "../../src/proxy/prometheus-text.js";

// The shapes `pilot-agent request GET stats/prometheus` prints on an Istio 1.26 sidecar: Envoy's stats
// with Istio's tag extractors (cluster_name, listener_address), untagged stats with and without empty
// braces, histograms, and Istio's standard metrics with their full label sets.
const SIDECAR_STATS = `# TYPE envoy_cluster_assignment_stale counter
envoy_cluster_assignment_stale{cluster_name="xds-grpc"} 0
# TYPE envoy_cluster_upstream_cx_connect_fail counter
envoy_cluster_upstream_cx_connect_fail{cluster_name="outbound|9080||reviews.bookinfo.svc.cluster.local"} 3
envoy_cluster_upstream_cx_connect_fail{cluster_name="outbound|9080|v2|reviews.bookinfo.svc.cluster.local"} 1
envoy_cluster_upstream_cx_connect_fail{cluster_name="outbound|9080||ratings.bookinfo.svc.cluster.local"} 9
# TYPE envoy_cluster_ssl_fail_verify_san counter
envoy_cluster_ssl_fail_verify_san{cluster_name="outbound|9080||reviews.bookinfo.svc.cluster.local"} 2
# TYPE envoy_cluster_ssl_handshake counter
envoy_cluster_ssl_handshake{cluster_name="outbound|9080||reviews.bookinfo.svc.cluster.local"} 1204
# TYPE envoy_listener_ssl_connection_error counter
envoy_listener_ssl_connection_error{listener_address="0.0.0.0_15006"} 6
envoy_listener_ssl_connection_error{listener_address="10.44.0.1_15021"} 100
# TYPE envoy_listener_no_filter_chain_match counter
envoy_listener_no_filter_chain_match{listener_address="0.0.0.0_15006"} 14
# TYPE envoy_server_uptime gauge
envoy_server_uptime{} 7384
# TYPE envoy_server_live gauge
envoy_server_live 1
# TYPE istio_requests_total counter
istio_requests_total{reporter="source",source_workload="productpage-v1",source_canonical_service="productpage",source_canonical_revision="v1",source_workload_namespace="bookinfo",source_principal="spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage",source_app="productpage",source_version="v1",source_cluster="Kubernetes",destination_workload="unknown",destination_workload_namespace="unknown",destination_principal="unknown",destination_app="unknown",destination_version="unknown",destination_service="reviews.bookinfo.svc.cluster.local",destination_canonical_service="unknown",destination_canonical_revision="latest",destination_service_name="reviews",destination_service_namespace="bookinfo",destination_cluster="unknown",request_protocol="http",response_code="503",grpc_response_status="",response_flags="UF,URX",connection_security_policy="unknown"} 17
istio_requests_total{reporter="source",source_workload="productpage-v1",source_workload_namespace="bookinfo",destination_service="reviews.bookinfo.svc.cluster.local",destination_service_name="reviews",destination_service_namespace="bookinfo",request_protocol="http",response_code="200",response_flags="-",connection_security_policy="unknown"} 940
istio_requests_total{reporter="destination",source_workload="unknown",source_workload_namespace="unknown",source_principal="unknown",destination_service="details.bookinfo.svc.cluster.local",destination_service_name="details",destination_service_namespace="bookinfo",request_protocol="http",response_code="200",response_flags="-",connection_security_policy="none"} 31
# TYPE istio_tcp_connections_closed_total counter
istio_tcp_connections_closed_total{reporter="source",source_workload="productpage-v1",source_workload_namespace="bookinfo",destination_service="reviews.bookinfo.svc.cluster.local",response_flags="UF",connection_security_policy="unknown"} 2
# TYPE istio_request_duration_milliseconds histogram
istio_request_duration_milliseconds_bucket{reporter="source",destination_service="reviews.bookinfo.svc.cluster.local",le="0.5"} 0
istio_request_duration_milliseconds_bucket{reporter="source",destination_service="reviews.bookinfo.svc.cluster.local",le="+Inf"} 957
`;

const reviews = { name: "reviews", namespace: "bookinfo" };

describe("stats/prometheus of a sidecar", () => {
  it("parses samples with and without labels, escapes, histograms and +Inf", () => {
    const index = parsePrometheusText(`${SIDECAR_STATS}weird{path="a\\"b\\\\c"} 2\nnot a sample line\n`);
    expect(sumOf(index, "envoy_server_live")).toBe(1);
    expect(index.get("weird")?.[0]?.labels["path"]).toBe('a"b\\c');
    expect(index.get("istio_request_duration_milliseconds_bucket")?.map((s) => s.labels["le"])).toEqual(["0.5", "+Inf"]);
  });

  it("reads the inbound listener's refusals on 15006 only, not the health listener's", () => {
    const stats = readProxyStats(SIDECAR_STATS);
    expect(stats.uptimeSeconds).toBe(7384);
    expect(hasInboundSslStats(stats)).toBe(true);
    expect(inboundTlsFailures(stats)).toEqual({ counts: { "ssl.connection_error": 6, no_filter_chain_match: 14 }, total: 20 });
  });

  it("reads one outbound cluster's failures across subsets, not another service's", () => {
    const stats = readProxyStats(SIDECAR_STATS);
    expect(outboundTlsFailures(stats, 9080, reviews)).toEqual({ counts: { "ssl.fail_verify_san": 2, upstream_cx_connect_fail: 4 }, total: 6 });
    expect(hasOutboundSslStats(stats, 9080, reviews)).toBe(true);
    expect(hasOutboundSslStats(stats, 9080, { name: "ratings", namespace: "bookinfo" })).toBe(false);
    expect(outboundTlsFailures(stats, 9090, reviews).total).toBe(0);
  });

  it("groups Istio's standard metrics by reporter, with response flags and security policy", () => {
    const stats = readProxyStats(SIDECAR_STATS);
    const towardsReviews = istioTraffic(stats, reviews, "source");
    expect(towardsReviews.map((t) => [t.event, t.responseFlags.join(","), t.count])).toEqual([
      ["request", "UF,URX", 17],
      ["request", "", 940],
      ["closed", "UF", 2],
    ]);
    expect(towardsReviews[0]?.sourceWorkload).toBe("productpage-v1");
    const details = istioTraffic(stats, { name: "details", namespace: "bookinfo" }, "destination");
    expect(details).toEqual([{ event: "request", reporter: "destination", securityPolicy: "none", responseFlags: [], count: 31 }]);
  });

  it("tells trimmed stats (Istio's default inclusion list) from stats that carry the ssl counters", () => {
    const trimmed = readProxyStats("envoy_server_uptime 12\nenvoy_cluster_upstream_cx_total{cluster_name=\"xds-grpc\"} 1\n");
    expect(hasInboundSslStats(trimmed)).toBe(false);
    expect(trimmed.standardMetrics).toBe(false);
    expect(inboundTlsFailures(trimmed).total).toBe(0);
  });
});
