import { describe, expect, it } from "vitest";
import { dataPlane, hasProxy, isAmbientPod, proxyContainer } from "../../src/mesh/proxy.js";
import { namespace, pod, viewOf } from "./mesh-objects.js";

describe("hasProxy", () => {
  it("a container named istio-proxy is a proxy", () => {
    expect(hasProxy(pod("shop", "p", { proxy: "sidecar" }))).toBe(true);
    expect(proxyContainer(pod("shop", "p", { proxy: "sidecar" }))?.name).toBe("istio-proxy");
  });

  it("a native sidecar (init container istio-proxy with restartPolicy Always) is a proxy", () => {
    expect(hasProxy(pod("shop", "p", { proxy: "native" }))).toBe(true);
  });

  it("an istio-proxy init container without restartPolicy Always is not a proxy", () => {
    const p = pod("shop", "p", { proxy: "none" });
    p.spec = { ...p.spec, initContainers: [{ name: "istio-proxy" }] };
    expect(hasProxy(p)).toBe(false);
    p.spec = { ...p.spec, initContainers: [{ name: "istio-proxy", restartPolicy: "OnFailure" }] };
    expect(hasProxy(p)).toBe(false);
  });

  it("istio-init alone is not a proxy", () => {
    const p = pod("shop", "p", { proxy: "none" });
    p.spec = { ...p.spec, initContainers: [{ name: "istio-init" }] };
    expect(hasProxy(p)).toBe(false);
  });

  it("a host-network pod is never in the mesh, even with an istio-proxy container", () => {
    expect(hasProxy(pod("shop", "p", { proxy: "sidecar", hostNetwork: true }))).toBe(false);
  });
});

describe("isAmbientPod", () => {
  const ambientNs = namespace("amb", { "istio.io/dataplane-mode": "ambient" });
  const plainNs = namespace("plain");

  it("a pod in a namespace labelled ambient is ambient", () => {
    expect(isAmbientPod(pod("amb", "p", { proxy: "none" }), ambientNs)).toBe(true);
  });

  it("a pod labelled ambient is ambient in any namespace", () => {
    expect(isAmbientPod(pod("plain", "p", { proxy: "none", labels: { "istio.io/dataplane-mode": "ambient" } }), plainNs)).toBe(true);
  });

  it("the pod's own `none` opts it out of an ambient namespace", () => {
    expect(isAmbientPod(pod("amb", "p", { proxy: "none", labels: { "istio.io/dataplane-mode": "none" } }), ambientNs)).toBe(false);
  });

  it("the annotation ambient.istio.io/redirection: enabled makes it ambient", () => {
    expect(isAmbientPod(pod("plain", "p", { proxy: "none", annotations: { "ambient.istio.io/redirection": "enabled" } }), plainNs)).toBe(true);
    expect(isAmbientPod(pod("plain", "p", { proxy: "none", annotations: { "ambient.istio.io/redirection": "disabled" } }), plainNs)).toBe(false);
  });

  it("a host-network pod is never ambient", () => {
    expect(isAmbientPod(pod("amb", "p", { proxy: "none", hostNetwork: true }), ambientNs)).toBe(false);
  });

  it("nothing ambient: not ambient", () => {
    expect(isAmbientPod(pod("plain", "p", { proxy: "none" }), plainNs)).toBe(false);
    expect(isAmbientPod(pod("plain", "p", { proxy: "none" }), undefined)).toBe(false);
  });
});

describe("dataPlane", () => {
  const view = viewOf(namespace("amb", { "istio.io/dataplane-mode": "ambient" }), namespace("shop", { "istio-injection": "enabled" }));

  it("tells sidecar, ambient and none apart", () => {
    expect(dataPlane(view, pod("shop", "a", { proxy: "sidecar" }))).toBe("sidecar");
    expect(dataPlane(view, pod("shop", "b", { proxy: "native" }))).toBe("sidecar");
    expect(dataPlane(view, pod("amb", "c", { proxy: "none" }))).toBe("ambient");
    expect(dataPlane(view, pod("shop", "d", { proxy: "none" }))).toBe("none");
  });

  it("a host-network pod is `none` in an ambient namespace and with a sidecar", () => {
    expect(dataPlane(view, pod("amb", "e", { proxy: "none", hostNetwork: true }))).toBe("none");
    expect(dataPlane(view, pod("shop", "f", { proxy: "sidecar", hostNetwork: true }))).toBe("none");
  });
});
