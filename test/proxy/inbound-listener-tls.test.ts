import { readUpstreamJson } from "../support/upstream-data.js";
import { beforeAll, describe, expect, it } from "vitest";
import { inboundListenerTls } from "../../src/proxy/inbound-listener-tls.js";
import { readSharedJson, SHARED_AVAILABLE, toProtoJson } from "./shared-data.js";

const MTLS_SOCKET = {
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    common_tls_context: { tls_certificate_sds_secret_configs: [{ name: "default" }] },
    require_client_certificate: true,
  },
};
const SERVER_TLS_SOCKET = {
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    common_tls_context: { tls_certificate_sds_secret_configs: [{ name: "default" }] },
  },
};

function listenersDump(...listeners: object[]): object {
  return {
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
        dynamic_listeners: listeners.map((listener) => ({ name: (listener as { name?: string }).name, active_state: { listener } })),
      },
    ],
  };
}

function virtualInbound(...filterChains: object[]): object {
  return {
    name: "virtualInbound",
    address: { socket_address: { address: "0.0.0.0", port_value: 15006 } },
    traffic_direction: "INBOUND",
    filter_chains: [{ name: "virtualInbound-blackhole", filter_chain_match: { destination_port: 15006 } }, ...filterChains],
  };
}

describe.skipIf(!SHARED_AVAILABLE)("inbound listeners in real dumps", () => {
  // Read in beforeAll: a skipped suite still runs its body to collect its tests.
  let catalog: unknown;
  let recs: unknown;
  beforeAll(() => {
    catalog = readSharedJson("scenarios/04-expired-workload-certificate/snapshot/proxies/storefront/catalog-lt4qbtdcz-s66t4/config_dump.json");
    recs = readSharedJson("scenarios/09-healthy-mesh/snapshot/proxies/recs/recommendations-qbmtpxv7p-qrp7h/config_dump.json");
  });

  it("finds the STRICT chain of a container port, requiring client certificates", () => {
    expect(inboundListenerTls(catalog, 8080)).toEqual({
      chains: [{ listener: "virtualInbound", name: "0.0.0.0_8080", security: "mtls", matchedBy: "port" }],
      requiresClientCertificate: true,
      acceptsPlaintext: false,
    });
    for (const port of [8080, 50051]) expect(inboundListenerTls(recs, port).requiresClientCertificate).toBe(true);
  });

  it("says nothing for a port without a chain", () => {
    expect(inboundListenerTls(catalog, 9999).chains).toEqual([]);
  });

  it("reads istioctl's camelCase dump the same way", () => {
    expect(inboundListenerTls(toProtoJson(recs), 50051)).toEqual(inboundListenerTls(recs, 50051));
  });

  it("finds no sidecar inbound listener in a waypoint's dump", () => {
    expect(inboundListenerTls(readUpstreamJson("istio/config-dump/config_dump.json"), 8000).chains).toEqual([]);
  });
});

describe("inbound listener TLS", () => {
  it("sees PERMISSIVE as an mTLS chain beside plaintext (and TLS passthrough) chains", () => {
    const dump = listenersDump(
      virtualInbound(
        { name: "0.0.0.0_8080", filter_chain_match: { destination_port: 8080, transport_protocol: "tls", application_protocols: ["istio"] }, transport_socket: MTLS_SOCKET },
        { name: "0.0.0.0_8080", filter_chain_match: { destination_port: 8080, transport_protocol: "tls" } },
        { name: "0.0.0.0_8080", filter_chain_match: { destination_port: 8080, transport_protocol: "raw_buffer" } },
      ),
    );
    const result = inboundListenerTls(dump, 8080);
    expect(result.chains.map((c) => c.security)).toEqual(["mtls", "tls-passthrough", "plaintext"]);
    expect(result.requiresClientCertificate).toBe(true);
    expect(result.acceptsPlaintext).toBe(true);
  });

  it("sees a stale proxy that only has a plaintext chain, and server-only TLS as not requiring certificates", () => {
    const plain = listenersDump(virtualInbound({ filter_chain_match: { destination_port: 8080 } }));
    expect(inboundListenerTls(plain, 8080)).toMatchObject({ requiresClientCertificate: false, acceptsPlaintext: true });
    const serverTls = listenersDump(virtualInbound({ filter_chain_match: { destination_port: 8080 }, transport_socket: SERVER_TLS_SOCKET }));
    expect(inboundListenerTls(serverTls, 8080)).toMatchObject({ requiresClientCertificate: false, acceptsPlaintext: false });
  });

  it("falls back to the catch-all chains for a port without its own chain, as Envoy does", () => {
    const dump = listenersDump(
      virtualInbound(
        { name: "0.0.0.0_8080", filter_chain_match: { destination_port: 8080 }, transport_socket: MTLS_SOCKET },
        { name: "virtualInbound", filter_chain_match: { transport_protocol: "raw_buffer" } },
      ),
    );
    expect(inboundListenerTls(dump, 9000).chains).toEqual([
      { listener: "virtualInbound", name: "virtualInbound", security: "plaintext", matchedBy: "catch-all" },
    ]);
    expect(inboundListenerTls(dump, 8080).chains.map((c) => c.matchedBy)).toEqual(["port"]);
  });

  it("reads per-port inbound listeners of old Istio versions, never outbound ones", () => {
    const dump = listenersDump(
      { name: "inbound|8080||", filter_chains: [{ transport_socket: MTLS_SOCKET }] },
      { name: "10.1.2.3_9090", traffic_direction: "INBOUND", address: { socket_address: { address: "10.1.2.3", port_value: 9090 } }, filter_chains: [{}] },
      { name: "0.0.0.0_8080", traffic_direction: "OUTBOUND", address: { socket_address: { address: "0.0.0.0", port_value: 8080 } }, filter_chains: [{}] },
    );
    expect(inboundListenerTls(dump, 8080).chains).toEqual([{ listener: "inbound|8080||", security: "mtls", matchedBy: "listener" }]);
    expect(inboundListenerTls(dump, 9090).chains).toEqual([{ listener: "10.1.2.3_9090", security: "plaintext", matchedBy: "listener" }]);
  });

  it("follows a filter_chain_matcher on the destination port to the chains it names", () => {
    const action = (name: string) => ({ action: { name, typed_config: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: name } } });
    const listener = {
      name: "virtualInbound",
      filter_chains: [
        { name: "strict-8080", transport_socket: MTLS_SOCKET },
        { name: "plain-9090" },
      ],
      filter_chain_matcher: {
        matcher_tree: {
          input: { name: "port", typed_config: { "@type": "type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationPortInput" } },
          exact_match_map: { map: { "8080": action("strict-8080"), "9090": action("plain-9090") } },
        },
      },
    };
    const dump = listenersDump(listener);
    expect(inboundListenerTls(dump, 8080).chains.map((c) => [c.name, c.security])).toEqual([["strict-8080", "mtls"]]);
    expect(inboundListenerTls(dump, 9090).chains.map((c) => [c.name, c.security])).toEqual([["plain-9090", "plaintext"]]);
  });
});
