import { readUpstreamJson } from "../support/upstream-data.js";
import { beforeAll, describe, expect, it } from "vitest";
import { clusterTls, outboundClusterTls, parseOutboundClusterName } from "../../src/proxy/outbound-cluster-tls.js";
import { readSharedJson, SHARED_AVAILABLE, toProtoJson } from "./shared-data.js";

const TLS_WITH_CERT = {
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    common_tls_context: {
      tls_certificate_sds_secret_configs: [{ name: "default" }],
      combined_validation_context: { validation_context_sds_secret_config: { name: "ROOTCA" } },
    },
  },
};
const TLS_WITHOUT_CERT = {
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    common_tls_context: { validation_context: { trusted_ca: { filename: "/etc/ssl/ca.pem" } } },
    sni: "api.example.com",
  },
};
const RAW_BUFFER = {
  name: "envoy.transport_sockets.raw_buffer",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer" },
};

function dumpWith(...clusters: object[]): object {
  return {
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
        dynamic_active_clusters: clusters.map((cluster) => ({ cluster })),
      },
    ],
  };
}

describe.skipIf(!SHARED_AVAILABLE)("outbound clusters in real dumps", () => {
  // Read in beforeAll: a skipped suite still runs its body to collect its tests.
  let web: unknown;
  beforeAll(() => {
    web = readSharedJson("scenarios/09-healthy-mesh/snapshot/proxies/web/storefront-web-wr87spq4c-2dfs4/config_dump.json");
  });

  it("sees Istio mutual TLS where a DestinationRule sets ISTIO_MUTUAL", () => {
    expect(outboundClusterTls(web, "recommendations.recs.svc.cluster.local", 80)).toEqual([
      {
        name: "outbound|80||recommendations.recs.svc.cluster.local",
        port: 80,
        subset: "",
        host: "recommendations.recs.svc.cluster.local",
        tls: "mtls",
        istioCertificates: true,
      },
    ]);
    expect(outboundClusterTls(web, "recommendations.recs.svc.cluster.local", 50051)[0]?.tls).toBe("mtls");
  });

  it("sees auto mTLS in transport_socket_matches (tlsMode istio, raw buffer otherwise)", () => {
    expect(outboundClusterTls(web, "storefront-web.web.svc.cluster.local", 80)[0]?.tls).toBe("auto-mtls");
  });

  it("matches the service whatever the cluster domain, and finds nothing for unknown ports or hosts", () => {
    expect(outboundClusterTls(web, "recommendations.recs.svc.corp.example", 80)).toHaveLength(1);
    expect(outboundClusterTls(web, "recommendations.recs.svc.cluster.local", 81)).toEqual([]);
    expect(outboundClusterTls(web, "nothing.recs.svc.cluster.local", 80)).toEqual([]);
  });

  it("reads istioctl's camelCase dump the same way", () => {
    const camel = toProtoJson(web);
    for (const [host, port] of [
      ["recommendations.recs.svc.cluster.local", 80],
      ["storefront-web.web.svc.cluster.local", 80],
    ] as const) {
      expect(outboundClusterTls(camel, host, port)).toEqual(outboundClusterTls(web, host, port));
    }
  });

  it("sees through the internal_upstream wrapper of a waypoint cluster to its plaintext socket", () => {
    const upstream = readUpstreamJson("istio/config-dump/config_dump.json") as {
      configs: { dynamic_active_clusters?: { cluster: Record<string, unknown> }[] }[];
    };
    const cluster = upstream.configs.flatMap((c) => c.dynamic_active_clusters ?? [])[0]?.cluster;
    expect(cluster?.["name"]).toBe("inbound-vip|8000|http|httpbin.default.svc.cluster.local");
    expect(clusterTls(cluster ?? {}).tls).toBe("none");
  });
});

describe("outbound cluster TLS", () => {
  const host = "reviews.shop.svc.cluster.local";

  it("reports plaintext for a cluster without a transport socket (DestinationRule DISABLE)", () => {
    const dump = dumpWith({ name: `outbound|9080||${host}` });
    expect(outboundClusterTls(dump, host, 9080)).toEqual([
      { name: `outbound|9080||${host}`, port: 9080, subset: "", host, tls: "none", istioCertificates: false },
    ]);
  });

  it("lists subset clusters with their own TLS", () => {
    const dump = dumpWith(
      { name: `outbound|9080||${host}`, transport_socket: TLS_WITH_CERT },
      { name: `outbound|9080|v2|${host}`, transport_socket: RAW_BUFFER },
      { name: `outbound|9080|v3|${host}`, transport_socket: TLS_WITHOUT_CERT },
    );
    expect(outboundClusterTls(dump, host, 9080).map((c) => [c.subset, c.tls])).toEqual([
      ["", "mtls"],
      ["v2", "none"],
      ["v3", "tls"],
    ]);
  });

  it("tells TLS without a client certificate (SIMPLE) from mutual TLS, and non-Istio certificates", () => {
    expect(clusterTls({ transport_socket: TLS_WITHOUT_CERT })).toEqual({ tls: "tls", istioCertificates: false });
    const mutual = structuredClone(TLS_WITH_CERT);
    mutual.typed_config.common_tls_context.tls_certificate_sds_secret_configs = [{ name: "file-cert:/etc/certs/cert.pem~/etc/certs/key.pem" }];
    expect(clusterTls({ transport_socket: mutual })).toEqual({ tls: "mtls", istioCertificates: false });
  });

  it("treats matches that are all plaintext as plaintext, and an unconditional TLS match as TLS", () => {
    expect(clusterTls({ transport_socket_matches: [{ name: "a", match: { tlsMode: "istio" }, transport_socket: RAW_BUFFER }] }).tls).toBe("none");
    expect(
      clusterTls({
        transport_socket_matches: [
          { name: "all", match: {}, transport_socket: TLS_WITH_CERT },
          { name: "never used", match: {}, transport_socket: RAW_BUFFER },
        ],
      }).tls,
    ).toBe("mtls");
  });

  it("parses Istio cluster names", () => {
    expect(parseOutboundClusterName(`outbound|80|v1|${host}`)).toEqual({ port: 80, subset: "v1", host });
    expect(parseOutboundClusterName("inbound|8080||")).toBeUndefined();
    expect(parseOutboundClusterName("BlackHoleCluster")).toBeUndefined();
  });
});
