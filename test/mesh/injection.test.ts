import { describe, expect, it } from "vitest";
import { injectionOptOut, isSystemNamespace, missingProxyReason, namespaceInjection } from "../../src/mesh/injection.js";
import { namespace, pod } from "./mesh-objects.js";

describe("namespaceInjection", () => {
  it("istio-injection=enabled injects with the default revision", () => {
    expect(namespaceInjection(namespace("shop", { "istio-injection": "enabled" }))).toMatchObject({
      injected: true,
      disabled: false,
      ambient: false,
      revision: "default",
      competing: ["istio-injection=enabled"],
    });
  });

  it("istio.io/rev=<rev> injects with that revision", () => {
    expect(namespaceInjection(namespace("shop", { "istio.io/rev": "asm-managed" }))).toMatchObject({ injected: true, revision: "asm-managed" });
  });

  it("istio-injection wins over istio.io/rev when both are set, and both are reported as competing", () => {
    const both = namespaceInjection(namespace("shop", { "istio-injection": "enabled", "istio.io/rev": "canary" }));
    expect(both).toMatchObject({ injected: true, revision: "default" });
    expect(both.competing).toEqual(["istio-injection=enabled", "istio.io/rev=canary"]);
  });

  it("istio-injection=disabled is an explicit no, even with istio.io/rev, and conflicts with nothing", () => {
    const disabled = namespaceInjection(namespace("shop", { "istio-injection": "disabled", "istio.io/rev": "canary" }));
    expect(disabled).toMatchObject({ injected: false, disabled: true });
    expect(disabled.revision).toBeUndefined();
    expect(disabled.competing).toEqual(["istio.io/rev=canary"]);
  });

  it("no label: not injected, not disabled", () => {
    expect(namespaceInjection(namespace("legacy"))).toMatchObject({ injected: false, disabled: false, ambient: false, competing: [] });
    expect(namespaceInjection(undefined)).toMatchObject({ injected: false, disabled: false, ambient: false });
  });

  it("the ambient label is ambient, not sidecar injection", () => {
    const ambient = namespaceInjection(namespace("amb", { "istio.io/dataplane-mode": "ambient" }));
    expect(ambient).toMatchObject({ injected: false, ambient: true, competing: ["istio.io/dataplane-mode=ambient"] });
  });
});

describe("injectionOptOut", () => {
  it("the label sidecar.istio.io/inject=false opts out", () => {
    expect(injectionOptOut(pod("shop", "p", { labels: { "sidecar.istio.io/inject": "false" } }))).toBe("label");
  });

  it("the annotation opts out when there is no label", () => {
    expect(injectionOptOut(pod("shop", "p", { annotations: { "sidecar.istio.io/inject": "false" } }))).toBe("annotation");
  });

  it("the label wins over the annotation", () => {
    const labelSaysYes = pod("shop", "p", { labels: { "sidecar.istio.io/inject": "true" }, annotations: { "sidecar.istio.io/inject": "false" } });
    expect(injectionOptOut(labelSaysYes)).toBeUndefined();
    const labelSaysNo = pod("shop", "p", { labels: { "sidecar.istio.io/inject": "false" }, annotations: { "sidecar.istio.io/inject": "true" } });
    expect(injectionOptOut(labelSaysNo)).toBe("label");
  });

  it("no label or annotation: no opt-out", () => {
    expect(injectionOptOut(pod("shop", "p"))).toBeUndefined();
  });
});

describe("missingProxyReason", () => {
  const bare = pod("shop", "inventory-1", { proxy: "none" });

  it("says the namespace is not labelled for injection", () => {
    expect(missingProxyReason(bare, namespace("shop"))).toMatch(/not labelled for injection/);
  });

  it("says injection is disabled in the namespace", () => {
    expect(missingProxyReason(bare, namespace("shop", { "istio-injection": "disabled" }))).toMatch(/disabled/);
  });

  it("says the pod opted out, and how", () => {
    const optedOut = pod("shop", "p", { proxy: "none", annotations: { "sidecar.istio.io/inject": "false" } });
    expect(missingProxyReason(optedOut, namespace("shop", { "istio-injection": "enabled" }))).toMatch(/opts out.*annotation/);
  });

  it("says a pod in an injected namespace likely predates the label and should be restarted", () => {
    expect(missingProxyReason(bare, namespace("shop", { "istio.io/rev": "canary" }))).toMatch(/restart/);
  });
});

describe("isSystemNamespace", () => {
  it("kube-* and the root namespace are system namespaces; others are not", () => {
    expect(isSystemNamespace("kube-system", "istio-system")).toBe(true);
    expect(isSystemNamespace("kube-public", "istio-system")).toBe(true);
    expect(isSystemNamespace("istio-system", "istio-system")).toBe(true);
    expect(isSystemNamespace("mesh-root", "mesh-root")).toBe(true);
    expect(isSystemNamespace("istio-system", "mesh-root")).toBe(false);
    expect(isSystemNamespace("shop", "istio-system")).toBe(false);
  });
});
