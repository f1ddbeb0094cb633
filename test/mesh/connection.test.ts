import { describe, expect, it } from "vitest";
import type { Service } from "../../src/cluster/kube-types.js";
import type { SnapshotView } from "../../src/cluster/snapshot-view.js";
import { resolveSource, targetFromService } from "../../src/engine/resolve.js";
import { mtlsRow, type MtlsRow } from "../../src/report/report.js";
import { clientFromSource, connectionFor, meshClientIn, type ClientSide } from "../../src/mesh/connection.js";
import {
  deployment,
  destinationRule,
  meshConfigMap,
  namespace,
  peerAuthentication,
  pod,
  service,
  viewOf,
  type PodOptions,
} from "./mesh-objects.js";

const inventoryService = service("shop", "inventory", { app: "inventory" }, [{ name: "http", port: 80, targetPort: 8080 }]);
const meshStrict = peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } });
const namespaces = [
  namespace("istio-system"),
  namespace("shop", { "istio-injection": "enabled" }),
  namespace("web", { "istio-injection": "enabled" }),
  namespace("legacy"),
];

function inventoryPod(options: PodOptions = {}) {
  return pod("shop", "inventory-1", { labels: { app: "inventory" }, ...options });
}

const sidecarClient: ClientSide = { key: "client:web", namespace: "web", labels: { app: "frontend" }, dataPlane: "sidecar" };
const plaintextClient: ClientSide = { key: "client:legacy", namespace: "legacy", dataPlane: "none" };
const ambientClient: ClientSide = { key: "client:ambient", namespace: "web", dataPlane: "ambient" };

type Row = MtlsRow;

function rows(view: SnapshotView, client: ClientSide, svc: Service = inventoryService): Row[] {
  const target = targetFromService(view, svc);
  return connectionFor(view, target, client).map((c) => mtlsRow(c));
}

function only(view: SnapshotView, client: ClientSide): Row {
  const [row, ...rest] = rows(view, client);
  expect(rest).toEqual([]);
  if (!row) throw new Error("no mtls row");
  return row;
}

describe("connectionFor: refused", () => {
  it("plaintext from a client without a proxy into STRICT is refused", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod());
    expect(only(view, plaintextClient)).toEqual({
      port: 80,
      targetPort: 8080,
      serverMode: "STRICT",
      serverPolicy: "istio-system/default",
      clientSends: "PLAINTEXT",
      clientPolicy: null,
      outcome: "refused",
    });
  });

  it("a DestinationRule DISABLE into STRICT is refused, and the rule is named", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode: "DISABLE" } } });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "DISABLE", clientPolicy: "shop/inventory", outcome: "refused" });
  });

  it.each(["SIMPLE", "MUTUAL"] as const)("%s into a sidecar's STRICT is refused", (mode) => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode } } });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: mode, clientPolicy: "shop/inventory", outcome: "refused" });
  });

  it("ISTIO_MUTUAL to target pods that have no proxy is refused", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    const view = viewOf(...namespaces, inventoryService, inventoryPod({ proxy: "none" }), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "shop/inventory", outcome: "refused" });
  });

  it("with auto mTLS off and no tls in any rule, the client sends plaintext and STRICT refuses it", () => {
    const view = viewOf(...namespaces, meshConfigMap("istio", "enableAutoMtls: false\n"), meshStrict, inventoryService, inventoryPod());
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "PLAINTEXT", serverMode: "STRICT", outcome: "refused" });
  });
});

describe("connectionFor: plaintext accepted", () => {
  it("plaintext into PERMISSIVE is accepted as plaintext", () => {
    const view = viewOf(...namespaces, inventoryService, inventoryPod());
    expect(only(view, plaintextClient)).toMatchObject({
      serverMode: "PERMISSIVE",
      serverPolicy: "default",
      clientSends: "PLAINTEXT",
      clientPolicy: null,
      outcome: "plaintext",
    });
  });

  it("auto mTLS sends plaintext to a server whose mode is DISABLE", () => {
    const disable = peerAuthentication("shop", "default", { mtls: { mode: "DISABLE" } });
    const view = viewOf(...namespaces, meshStrict, disable, inventoryService, inventoryPod());
    expect(only(view, sidecarClient)).toMatchObject({
      serverMode: "DISABLE",
      serverPolicy: "shop/default",
      clientSends: "PLAINTEXT",
      clientPolicy: "auto",
      outcome: "plaintext",
    });
  });

  it("auto mTLS sends plaintext to target pods without a proxy", () => {
    const view = viewOf(...namespaces, inventoryService, inventoryPod({ proxy: "none" }));
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "PLAINTEXT", clientPolicy: "auto", outcome: "plaintext" });
  });

  it("with auto mTLS off, plaintext into PERMISSIVE is accepted", () => {
    const view = viewOf(...namespaces, meshConfigMap("istio", "enableAutoMtls: false\n"), inventoryService, inventoryPod());
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "PLAINTEXT", outcome: "plaintext" });
  });
});

describe("connectionFor: mutual TLS", () => {
  it("auto mTLS sends ISTIO_MUTUAL to a target with a proxy", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod());
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "auto", outcome: "ok" });
  });

  it("auto mTLS sends ISTIO_MUTUAL to an ambient target", () => {
    const ambientService = service("mesh", "inventory", { app: "inventory" }, [{ port: 80, targetPort: 8080 }]);
    const view = viewOf(...namespaces, namespace("mesh", { "istio.io/dataplane-mode": "ambient" }), meshStrict, ambientService,
      pod("mesh", "inventory-1", { labels: { app: "inventory" }, proxy: "none" }));
    expect(rows(view, sidecarClient, ambientService)).toEqual([
      expect.objectContaining({ serverMode: "STRICT", clientSends: "ISTIO_MUTUAL", clientPolicy: "auto", outcome: "ok" }),
    ]);
  });

  it("a rule without tls leaves the decision to auto mTLS", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" } } });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "auto", outcome: "ok" });
  });

  it("a rule's ISTIO_MUTUAL is used as written and named", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "shop/inventory", outcome: "ok" });
  });

  it("an ambient client sends ISTIO_MUTUAL through ztunnel, whatever the rules say", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode: "DISABLE" } } });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, ambientClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "ambient", outcome: "ok" });
  });

  it("the hypothetical in-mesh client in the target's namespace gets auto mTLS", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod());
    expect(only(view, meshClientIn("shop"))).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "auto", outcome: "ok" });
  });

  it("auto mTLS off but a rule with ISTIO_MUTUAL still gives mutual TLS", () => {
    const rule = destinationRule("shop", "inventory", { host: "inventory", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } });
    const view = viewOf(...namespaces, meshConfigMap("istio", "enableAutoMtls: false\n"), meshStrict, inventoryService, inventoryPod(), rule);
    expect(only(view, sidecarClient)).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "shop/inventory", outcome: "ok" });
  });
});

describe("connectionFor: ports", () => {
  it("resolves a named targetPort through the pod's container ports, and reads portLevelMtls by that container port", () => {
    const svc = service("shop", "inventory", { app: "inventory" }, [
      { name: "http", port: 80, targetPort: "web" },
      { name: "grpc", port: 9000, targetPort: "grpc" },
    ]);
    const p = inventoryPod({
      ports: [
        { name: "web", containerPort: 8080 },
        { name: "grpc", containerPort: 50051 },
      ],
    });
    const exception = peerAuthentication("shop", "inventory", {
      selector: { matchLabels: { app: "inventory" } },
      mtls: { mode: "STRICT" },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    const view = viewOf(...namespaces, svc, p, exception);
    expect(rows(view, plaintextClient, svc)).toEqual([
      { port: 80, targetPort: 8080, serverMode: "PERMISSIVE", serverPolicy: "shop/inventory", clientSends: "PLAINTEXT", clientPolicy: null, outcome: "plaintext" },
      { port: 9000, targetPort: 50051, serverMode: "STRICT", serverPolicy: "shop/inventory", clientSends: "PLAINTEXT", clientPolicy: null, outcome: "refused" },
    ]);
  });

  it("a DestinationRule's portLevelSettings apply to their Service port only", () => {
    const svc = service("shop", "inventory", { app: "inventory" }, [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "admin", port: 81, targetPort: 8081 },
    ]);
    const p = inventoryPod({ ports: [{ containerPort: 8080 }, { containerPort: 8081 }] });
    const rule = destinationRule("shop", "inventory", {
      host: "inventory",
      trafficPolicy: { portLevelSettings: [{ port: { number: 81 }, tls: { mode: "DISABLE" } }] },
    });
    const view = viewOf(...namespaces, meshStrict, svc, p, rule);
    expect(rows(view, sidecarClient, svc).map((r) => [r.port, r.clientSends, r.clientPolicy, r.outcome])).toEqual([
      [80, "ISTIO_MUTUAL", "auto", "ok"],
      [81, "DISABLE", "shop/inventory", "refused"],
    ]);
  });
});

describe("clientFromSource", () => {
  const frontend = deployment("web", "frontend", { app: "frontend" });
  const frontendService = service("web", "frontend", { app: "frontend" }, [{ port: 80, targetPort: 8080 }]);

  it("a source without a proxy sends plaintext, with no client policy", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), deployment("legacy", "report", { app: "report" }),
      pod("legacy", "report-1", { labels: { app: "report" }, proxy: "none" }));
    const source = resolveSource(view, { name: "report", namespace: "legacy" });
    if (!source) throw new Error("source not resolved");
    expect(only(view, clientFromSource(view, source))).toMatchObject({ clientSends: "PLAINTEXT", clientPolicy: null, outcome: "refused" });
  });

  it("among a source's pods, one without a proxy stands for the client: that is the one refused", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), frontend, frontendService,
      pod("web", "frontend-1", { labels: { app: "frontend" } }),
      pod("web", "frontend-2", { labels: { app: "frontend" }, proxy: "none" }));
    const source = resolveSource(view, { name: "frontend", namespace: "web" });
    if (!source) throw new Error("source not resolved");
    const client = clientFromSource(view, source);
    expect(client.pod?.metadata?.name).toBe("frontend-2");
    expect(only(view, client)).toMatchObject({ clientSends: "PLAINTEXT", outcome: "refused" });
  });

  it("a source in an ambient namespace sends ISTIO_MUTUAL as ambient", () => {
    const view = viewOf(...namespaces, namespace("amb", { "istio.io/dataplane-mode": "ambient" }), meshStrict, inventoryService,
      inventoryPod(), deployment("amb", "job", { app: "job" }), pod("amb", "job-1", { labels: { app: "job" }, proxy: "none" }));
    const source = resolveSource(view, { name: "job", namespace: "amb" });
    if (!source) throw new Error("source not resolved");
    expect(only(view, clientFromSource(view, source))).toMatchObject({ clientSends: "ISTIO_MUTUAL", clientPolicy: "ambient", outcome: "ok" });
  });

  it("a source on the host network counts as having no proxy", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), frontend,
      pod("web", "frontend-1", { labels: { app: "frontend" }, hostNetwork: true }));
    const source = resolveSource(view, { name: "frontend", namespace: "web" });
    if (!source) throw new Error("source not resolved");
    expect(only(view, clientFromSource(view, source))).toMatchObject({ clientSends: "PLAINTEXT", clientPolicy: null, outcome: "refused" });
  });

  it("a source with no running pod is predicted from its namespace's injection label and its template", () => {
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), frontend, deployment("legacy", "report", { app: "report" }));
    const injected = resolveSource(view, { name: "frontend", namespace: "web" });
    const notInjected = resolveSource(view, { name: "report", namespace: "legacy" });
    if (!injected || !notInjected) throw new Error("source not resolved");
    expect(clientFromSource(view, injected).dataPlane).toBe("sidecar");
    expect(only(view, clientFromSource(view, notInjected))).toMatchObject({ clientSends: "PLAINTEXT", outcome: "refused" });

    const optedOut = deployment("web", "batch", { app: "batch" });
    optedOut.spec = { ...optedOut.spec, template: { metadata: { labels: { app: "batch", "sidecar.istio.io/inject": "false" } } } };
    const withOptOut = viewOf(...namespaces, optedOut);
    const batch = resolveSource(withOptOut, { name: "batch", namespace: "web" });
    if (!batch) throw new Error("source not resolved");
    expect(clientFromSource(withOptOut, batch).dataPlane).toBe("none");
  });

  it("a source's workloadSelector rule in its own namespace decides for it", () => {
    const rule = destinationRule("web", "frontend-out", {
      host: "inventory.shop.svc.cluster.local",
      workloadSelector: { matchLabels: { app: "frontend" } },
      trafficPolicy: { tls: { mode: "DISABLE" } },
    });
    const view = viewOf(...namespaces, meshStrict, inventoryService, inventoryPod(), frontend, rule,
      pod("web", "frontend-1", { labels: { app: "frontend" } }));
    const source = resolveSource(view, { name: "frontend", namespace: "web" });
    if (!source) throw new Error("source not resolved");
    expect(only(view, clientFromSource(view, source))).toMatchObject({ clientSends: "DISABLE", clientPolicy: "web/frontend-out", outcome: "refused" });
  });
});
