import { describe, expect, it } from "vitest";
import { effectiveServerMode } from "../../src/mesh/server-mode.js";
import { created, meshConfigMap, namespace, peerAuthentication, pod, viewOf } from "./mesh-objects.js";

const inventory = pod("shop", "inventory-1", {
  labels: { app: "inventory" },
  ports: [
    { name: "http", containerPort: 8080 },
    { name: "metrics", containerPort: 9090 },
  ],
});
const base = [namespace("istio-system"), namespace("shop", { "istio-injection": "enabled" }), inventory];

function modeOf(objects: unknown[], containerPort?: number) {
  const { mode, policyRef } = effectiveServerMode(viewOf(...base, ...objects), inventory, containerPort);
  return { mode, policyRef };
}

describe("effectiveServerMode: levels", () => {
  it("is PERMISSIVE, set by no policy, when there is no PeerAuthentication at all", () => {
    expect(modeOf([], 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "default" });
  });

  it("takes the mesh-wide policy of the root namespace", () => {
    expect(modeOf([peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } })], 8080)).toEqual({
      mode: "STRICT",
      policyRef: "istio-system/default",
    });
  });

  it("lets the namespace-wide policy override the mesh-wide one", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("shop", "relaxed", { mtls: { mode: "PERMISSIVE" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "shop/relaxed" });
  });

  it("lets a workload policy whose selector matches the pod override the namespace-wide one", () => {
    const objects = [
      peerAuthentication("shop", "default", { mtls: { mode: "PERMISSIVE" } }),
      peerAuthentication("shop", "inventory-strict", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "STRICT" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "shop/inventory-strict" });
  });

  it("ignores a workload policy whose selector does not match the pod", () => {
    const objects = [
      peerAuthentication("shop", "default", { mtls: { mode: "PERMISSIVE" } }),
      peerAuthentication("shop", "orders-disable", { selector: { matchLabels: { app: "orders" } }, mtls: { mode: "DISABLE" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "shop/default" });
  });

  it("ignores the namespace-wide policy of another namespace", () => {
    expect(modeOf([peerAuthentication("web", "default", { mtls: { mode: "STRICT" } })], 8080)).toEqual({
      mode: "PERMISSIVE",
      policyRef: "default",
    });
  });

  it("reads a workload DISABLE as DISABLE", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("shop", "inventory-off", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "DISABLE" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "DISABLE", policyRef: "shop/inventory-off" });
  });
});

describe("effectiveServerMode: UNSET inherits", () => {
  it("a namespace-wide UNSET inherits the mesh-wide mode, and the mesh-wide policy is the one that set it", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("shop", "default", { mtls: { mode: "UNSET" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "istio-system/default" });
  });

  it("a workload UNSET inherits the namespace-wide mode", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("shop", "default", { mtls: { mode: "DISABLE" } }),
      peerAuthentication("shop", "inventory", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "UNSET" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "DISABLE", policyRef: "shop/default" });
  });

  it("a policy without any mtls block inherits like UNSET", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("shop", "inventory", { selector: { matchLabels: { app: "inventory" } } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "istio-system/default" });
  });

  it("UNSET at every level is PERMISSIVE, set by no policy", () => {
    const objects = [
      peerAuthentication("istio-system", "default", { mtls: { mode: "UNSET" } }),
      peerAuthentication("shop", "default", { mtls: { mode: "UNSET" } }),
      peerAuthentication("shop", "inventory", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "UNSET" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "default" });
  });
});

describe("effectiveServerMode: portLevelMtls", () => {
  const strictWithException = peerAuthentication("shop", "inventory", {
    selector: { matchLabels: { app: "inventory" } },
    mtls: { mode: "STRICT" },
    portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
  });

  it("overrides the workload mode on the container port it names, and only there", () => {
    expect(modeOf([strictWithException], 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "shop/inventory" });
    expect(modeOf([strictWithException], 9090)).toEqual({ mode: "STRICT", policyRef: "shop/inventory" });
  });

  it("keyed by the Service port (80) has no effect on container port 8080", () => {
    const keyedByServicePort = peerAuthentication("shop", "inventory", {
      selector: { matchLabels: { app: "inventory" } },
      mtls: { mode: "STRICT" },
      portLevelMtls: { "80": { mode: "PERMISSIVE" } },
    });
    expect(modeOf([keyedByServicePort], 8080)).toEqual({ mode: "STRICT", policyRef: "shop/inventory" });
  });

  it("an UNSET port entry inherits the workload mode", () => {
    const unsetPort = peerAuthentication("shop", "inventory", {
      selector: { matchLabels: { app: "inventory" } },
      mtls: { mode: "DISABLE" },
      portLevelMtls: { "8080": { mode: "UNSET" } },
    });
    expect(modeOf([peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }), unsetPort], 8080)).toEqual({
      mode: "DISABLE",
      policyRef: "shop/inventory",
    });
  });

  it("an UNSET port entry under an UNSET workload mode inherits the namespace-wide mode and policy", () => {
    const unsetEverywhere = peerAuthentication("shop", "inventory", {
      selector: { matchLabels: { app: "inventory" } },
      mtls: { mode: "UNSET" },
      portLevelMtls: { "8080": { mode: "UNSET" } },
    });
    expect(modeOf([peerAuthentication("shop", "default", { mtls: { mode: "STRICT" } }), unsetEverywhere], 8080)).toEqual({
      mode: "STRICT",
      policyRef: "shop/default",
    });
  });

  it("a port entry of a workload policy with mode UNSET sets the mode for that port, and that policy set it", () => {
    const portOnly = peerAuthentication("shop", "inventory", {
      selector: { matchLabels: { app: "inventory" } },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    const objects = [peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }), portOnly];
    expect(modeOf(objects, 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "shop/inventory" });
    expect(modeOf(objects, 9090)).toEqual({ mode: "STRICT", policyRef: "istio-system/default" });
  });

  it("portLevelMtls on a namespace-wide policy (no selector) has no effect", () => {
    const namespaceWide = peerAuthentication("shop", "default", {
      mtls: { mode: "STRICT" },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    expect(modeOf([namespaceWide], 8080)).toEqual({ mode: "STRICT", policyRef: "shop/default" });
  });

  it("only the winning workload policy's portLevelMtls counts", () => {
    const older = peerAuthentication(
      "shop",
      "inventory-old",
      { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "STRICT" } },
      created(0),
    );
    const newer = peerAuthentication(
      "shop",
      "inventory-new",
      { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "STRICT" }, portLevelMtls: { "8080": { mode: "PERMISSIVE" } } },
      created(5),
    );
    expect(modeOf([newer, older], 8080)).toEqual({ mode: "STRICT", policyRef: "shop/inventory-old" });
  });
});

describe("effectiveServerMode: competing policies at one level", () => {
  it("the oldest namespace-wide policy wins, whatever its name", () => {
    const objects = [
      peerAuthentication("shop", "a-newer", { mtls: { mode: "PERMISSIVE" } }, created(9)),
      peerAuthentication("shop", "z-older", { mtls: { mode: "STRICT" } }, created(1)),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "shop/z-older" });
  });

  it("between policies created at the same time, the name decides", () => {
    const objects = [
      peerAuthentication("shop", "beta", { mtls: { mode: "PERMISSIVE" } }, created(3)),
      peerAuthentication("shop", "alpha", { mtls: { mode: "DISABLE" } }, created(3)),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "DISABLE", policyRef: "shop/alpha" });
  });

  it("the oldest mesh-wide policy wins", () => {
    const objects = [
      peerAuthentication("istio-system", "later", { mtls: { mode: "PERMISSIVE" } }, created(7)),
      peerAuthentication("istio-system", "first", { mtls: { mode: "STRICT" } }, created(2)),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "istio-system/first" });
  });

  it("the oldest of several matching workload policies wins", () => {
    const objects = [
      peerAuthentication("shop", "by-app", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "DISABLE" } }, created(4)),
      peerAuthentication("shop", "by-app-old", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "STRICT" } }, created(1)),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "shop/by-app-old" });
  });
});

describe("effectiveServerMode: root namespace", () => {
  it("ignores a policy with a selector in the root namespace", () => {
    const objects = [
      peerAuthentication("istio-system", "inventory-strict", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "STRICT" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "PERMISSIVE", policyRef: "default" });
  });

  it("a root-namespace policy with a selector does not displace the mesh-wide one, even when it is older", () => {
    const objects = [
      peerAuthentication("istio-system", "a-selector", { selector: { matchLabels: { app: "inventory" } }, mtls: { mode: "DISABLE" } }, created(0)),
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }, created(5)),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "istio-system/default" });
  });

  it("takes the root namespace from the mesh config ConfigMap", () => {
    const objects = [
      meshConfigMap("istio", "rootNamespace: mesh-root\n"),
      namespace("mesh-root"),
      peerAuthentication("mesh-root", "default", { mtls: { mode: "STRICT" } }),
      // Not the root namespace any more: a policy here is istio-system's own namespace-wide policy.
      peerAuthentication("istio-system", "default", { mtls: { mode: "DISABLE" } }),
    ];
    expect(modeOf(objects, 8080)).toEqual({ mode: "STRICT", policyRef: "mesh-root/default" });
  });
});
