import { describe, expect, it } from "vitest";
import { parseProxyStatus, podFromProxyId } from "../../src/proxy/proxy-status.js";
import { readSharedText, SHARED_AVAILABLE } from "./shared-data.js";

describe.skipIf(!SHARED_AVAILABLE)("proxy-status of the healthy scenario", () => {
  it("reads the pre-1.27 table with durations in its cells", () => {
    const entries = parseProxyStatus(readSharedText("scenarios/09-healthy-mesh/snapshot/proxy-status.txt"));
    expect(entries.map((e) => e.pod)).toEqual([
      "recs/recommendations-qbmtpxv7p-hw4ws",
      "recs/recommendations-qbmtpxv7p-qrp7h",
      "web/storefront-web-wr87spq4c-2dfs4",
      "web/storefront-web-wr87spq4c-kd4p6",
    ]);
    expect(entries[0]).toEqual({
      pod: "recs/recommendations-qbmtpxv7p-hw4ws",
      cluster: "Kubernetes",
      istiod: "istiod-wbg5f2z9rf-vt7st",
      version: "1.26.4",
      types: { CDS: "SYNCED", LDS: "SYNCED", EDS: "SYNCED", RDS: "SYNCED", ECDS: "IGNORED" },
    });
  });
});

describe("proxy-status tables", () => {
  it("keeps multi-word and empty cells in their columns", () => {
    const text = [
      "NAME                          CLUSTER        CDS                            LDS          EDS                RDS          ECDS        ISTIOD                VERSION",
      "api-5c9f7d7b4-x2k8p.shop      Kubernetes     STALE (Never Acknowledged)     NOT SENT     SYNCED (12s)       SYNCED       ERROR       istiod-7f9c-abcde     1.24.2",
      "web.v2-6d4b8-qq7zt.shop       Kubernetes     SYNCED                         SYNCED       SYNCED             SYNCED                                         1.24.2",
    ].join("\n");
    expect(parseProxyStatus(text)).toEqual([
      {
        pod: "shop/api-5c9f7d7b4-x2k8p",
        cluster: "Kubernetes",
        istiod: "istiod-7f9c-abcde",
        version: "1.24.2",
        types: { CDS: "STALE", LDS: "NOT SENT", EDS: "SYNCED", RDS: "SYNCED", ECDS: "ERROR" },
      },
      {
        pod: "shop/web.v2-6d4b8-qq7zt",
        cluster: "Kubernetes",
        version: "1.24.2",
        types: { CDS: "SYNCED", LDS: "SYNCED", EDS: "SYNCED", RDS: "SYNCED" },
      },
    ]);
  });

  it("reads the 1.27+ table: subscribed types only", () => {
    const text = [
      "NAME                               CLUSTER        ISTIOD                     VERSION     SUBSCRIBED TYPES",
      "details-v1-7d4d9d5fcb-9vj2h.bookinfo     Kubernetes     istiod-5c8f5d7b9d-8kqgx     1.27.1      4 (CDS,LDS,EDS,RDS)",
      "ztunnel-4xkrd.istio-system               Kubernetes     istiod-5c8f5d7b9d-8kqgx     1.27.1      2 (WADS,WDS)",
      "idle-59c4b-kr9zp.bookinfo                Kubernetes     istiod-5c8f5d7b9d-8kqgx     1.27.1      0",
    ].join("\n");
    const entries = parseProxyStatus(text);
    expect(entries.map((e) => [e.pod, e.istiod, e.version, e.types])).toEqual([
      ["bookinfo/details-v1-7d4d9d5fcb-9vj2h", "istiod-5c8f5d7b9d-8kqgx", "1.27.1", { CDS: "SUBSCRIBED", LDS: "SUBSCRIBED", EDS: "SUBSCRIBED", RDS: "SUBSCRIBED" }],
      ["istio-system/ztunnel-4xkrd", "istiod-5c8f5d7b9d-8kqgx", "1.27.1", { WADS: "SUBSCRIBED", WDS: "SUBSCRIBED" }],
      ["bookinfo/idle-59c4b-kr9zp", "istiod-5c8f5d7b9d-8kqgx", "1.27.1", {}],
    ]);
  });

  it("reads the 1.27+ verbose table (-v 1) with one column per type", () => {
    const text = [
      "NAME                  CLUSTER      CDS       ECDS        EDS        LDS        RDS          ISTIOD      VERSION",
      "ratings-v1-x.bookinfo     c1           STALE     IGNORED     SYNCED     SYNCED     NOT SENT     istiod1     1.28.0",
    ].join("\n");
    expect(parseProxyStatus(text)[0]?.types).toEqual({ CDS: "STALE", ECDS: "IGNORED", EDS: "SYNCED", LDS: "SYNCED", RDS: "NOT SENT" });
  });

  it("reads tab-separated tables", () => {
    const text = "NAME\tCLUSTER\tCDS\tLDS\tISTIOD\tVERSION\na-1.ns\tKubernetes\tSYNCED\tSTALE\t\t1.25.0\n";
    expect(parseProxyStatus(text)).toEqual([{ pod: "ns/a-1", cluster: "Kubernetes", version: "1.25.0", types: { CDS: "SYNCED", LDS: "STALE" } }]);
  });

  it("is empty for empty output", () => {
    expect(parseProxyStatus("")).toEqual([]);
    expect(parseProxyStatus("NAME   CLUSTER   ISTIOD   VERSION   SUBSCRIBED TYPES\n")).toEqual([]);
  });

  it("throws, naming what it expected, for anything else", () => {
    expect(() => parseProxyStatus("Error: no running Istio pods in \"istio-system\"")).toThrow(/expected `istioctl proxy-status` output.*NAME/);
    expect(() => parseProxyStatus("NAME   CDS\nnodot   SYNCED")).toThrow(/NAME "nodot" is not <pod>.<namespace>/);
    expect(() => parseProxyStatus("{ \"resources\": ")).toThrow(/truncated/);
    expect(() => parseProxyStatus("{\"kind\": \"PodList\"}")).toThrow(/no "resources" list of ClientConfig/);
  });
});

describe("proxy-status -o json", () => {
  const identifier = (id: string) => JSON.stringify({ Component: "istiod", ID: id, Info: { version: "1.30.0" } });
  const response = (istiod: string, resources: object[]) => ({
    versionInfo: "1.30.0",
    resources,
    typeUrl: "type.googleapis.com/envoy.service.status.v3.ClientConfig",
    controlPlane: { identifier: identifier(istiod) },
  });
  const clientConfig = (id: string, configs: [string, string][]) => ({
    "@type": "type.googleapis.com/envoy.service.status.v3.ClientConfig",
    node: { id, metadata: { CLUSTER_ID: "Kubernetes", ISTIO_VERSION: "1.30.0", NAMESPACE: id.split(".")[1] } },
    genericXdsConfigs: configs.map(([typeUrl, configStatus]) => ({ typeUrl, configStatus, lastUpdated: "2026-11-27T11:00:00Z" })),
  });

  it("reads one document per istiod, printed back to back, with states as the tables print them", () => {
    const first = response("istiod-a", [
      clientConfig("checkout-7b9-k2.shop", [
        ["type.googleapis.com/envoy.config.cluster.v3.Cluster", "STALE"],
        ["type.googleapis.com/envoy.config.listener.v3.Listener", "SYNCED"],
        ["type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "NOT_SENT"],
        ["type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "ERROR"],
        ["type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig", "UNKNOWN"],
      ]),
    ]);
    const second = response("istiod-b", [clientConfig("sidecar~10.0.0.7~cart-5d-x9.shop~shop.svc.cluster.local", [["type.googleapis.com/envoy.config.cluster.v3.Cluster", "SYNCED"]])]);
    const text = `${JSON.stringify(first, null, 4)}\n${JSON.stringify(second, null, 4)}\n`;
    expect(parseProxyStatus(text)).toEqual([
      { pod: "shop/cart-5d-x9", cluster: "Kubernetes", version: "1.30.0", istiod: "istiod-b", types: { CDS: "SYNCED" } },
      {
        pod: "shop/checkout-7b9-k2",
        cluster: "Kubernetes",
        version: "1.30.0",
        istiod: "istiod-a",
        types: { CDS: "STALE", LDS: "SYNCED", RDS: "NOT SENT", EDS: "ERROR", ECDS: "IGNORED" },
      },
    ]);
  });

  it("reads the legacy xdsConfig list of older control planes", () => {
    const legacy = response("istiod-old", [
      {
        node: { id: "a-1.ns", metadata: {} },
        xdsConfig: [
          { status: "SYNCED", clusterConfig: {} },
          { status: "STALE", listenerConfig: {} },
        ],
      },
    ]);
    expect(parseProxyStatus(JSON.stringify(legacy))).toEqual([{ pod: "ns/a-1", istiod: "istiod-old", types: { CDS: "SYNCED", LDS: "STALE" } }]);
  });

  it("turns proxy ids into namespace/pod", () => {
    expect(podFromProxyId("web.v2-6d4b8-qq7zt.shop")).toBe("shop/web.v2-6d4b8-qq7zt");
    expect(podFromProxyId("sidecar~10.1.1.1~a-1.ns~ns.svc.cluster.local")).toBe("ns/a-1");
    expect(podFromProxyId("nodot")).toBeUndefined();
  });
});
