import { describe, expect, it } from "vitest";
import { MESH_DEFAULTS, meshConfigFor, parseMeshConfig } from "../../src/mesh/mesh-config.js";
import { meshConfigMap, namespace, viewOf } from "./mesh-objects.js";

describe("parseMeshConfig", () => {
  it("defaults: root namespace istio-system, trust domain cluster.local, auto mTLS on", () => {
    expect(parseMeshConfig("")).toMatchObject({
      rootNamespace: "istio-system",
      trustDomain: "cluster.local",
      trustDomainAliases: [],
      enableAutoMtls: true,
    });
  });

  it("reads rootNamespace, trustDomain, trustDomainAliases and enableAutoMtls", () => {
    const text = "rootNamespace: mesh-root\ntrustDomain: corp.example\ntrustDomainAliases:\n- old.example\nenableAutoMtls: false\n";
    expect(parseMeshConfig(text, "istio-system/istio")).toMatchObject({
      rootNamespace: "mesh-root",
      trustDomain: "corp.example",
      trustDomainAliases: ["old.example"],
      enableAutoMtls: false,
      source: "istio-system/istio",
      revision: "default",
    });
  });

  it("only an explicit false turns auto mTLS off", () => {
    expect(parseMeshConfig("enableAutoMtls: true\n").enableAutoMtls).toBe(true);
    expect(parseMeshConfig("defaultConfig:\n  discoveryAddress: istiod:15012\n").enableAutoMtls).toBe(true);
  });

  it("falls back to the defaults when the mesh YAML does not parse", () => {
    expect(parseMeshConfig("rootNamespace: [unclosed\n")).toMatchObject({ rootNamespace: "istio-system", enableAutoMtls: true });
  });

  it("knows the revision from the ConfigMap name", () => {
    expect(parseMeshConfig("", "istio-system/istio-asm-managed").revision).toBe("asm-managed");
  });
});

describe("meshConfigFor", () => {
  it("uses the defaults when the snapshot has no mesh config", () => {
    expect(meshConfigFor(viewOf(namespace("shop")), "shop")).toEqual(MESH_DEFAULTS);
  });

  it("reads the `mesh` key of ConfigMap istio in istio-system", () => {
    const view = viewOf(meshConfigMap("istio", "trustDomain: corp.example\n"));
    expect(meshConfigFor(view)).toMatchObject({ trustDomain: "corp.example", source: "istio-system/istio" });
  });

  it("ignores a ConfigMap named istio without a `mesh` key, and other ConfigMaps", () => {
    const view = viewOf(
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { meshNetworks: "networks: {}" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" }, data: { mesh: "trustDomain: wrong.example\n" } },
    );
    expect(meshConfigFor(view)).toEqual(MESH_DEFAULTS);
  });

  it("uses istio-<revision> when that is the only mesh config (revisioned and managed installs)", () => {
    const view = viewOf(meshConfigMap("istio-asm-managed", "trustDomain: proj.svc.id.goog\n"));
    expect(meshConfigFor(view)).toMatchObject({ trustDomain: "proj.svc.id.goog", revision: "asm-managed" });
  });

  it("picks the revision a namespace labelled istio.io/rev uses", () => {
    const view = viewOf(
      meshConfigMap("istio", "trustDomain: default.example\n"),
      meshConfigMap("istio-canary", "trustDomain: canary.example\n"),
      meshConfigMap("istio-stable", "trustDomain: stable.example\n"),
      namespace("shop", { "istio.io/rev": "canary" }),
      namespace("web", { "istio-injection": "enabled" }),
      namespace("legacy"),
    );
    expect(meshConfigFor(view, "shop")).toMatchObject({ trustDomain: "canary.example", revision: "canary" });
    expect(meshConfigFor(view, "web")).toMatchObject({ trustDomain: "default.example", revision: "default" });
    expect(meshConfigFor(view, "legacy")).toMatchObject({ trustDomain: "default.example" });
    expect(meshConfigFor(view)).toMatchObject({ trustDomain: "default.example" });
  });

  it("istio-injection=enabled wins over istio.io/rev for the choice of mesh config", () => {
    const view = viewOf(
      meshConfigMap("istio", "trustDomain: default.example\n"),
      meshConfigMap("istio-canary", "trustDomain: canary.example\n"),
      namespace("shop", { "istio-injection": "enabled", "istio.io/rev": "canary" }),
    );
    expect(meshConfigFor(view, "shop")).toMatchObject({ trustDomain: "default.example" });
  });

  it("a namespace whose revision has no ConfigMap falls back to istio", () => {
    const view = viewOf(meshConfigMap("istio", "trustDomain: default.example\n"), namespace("shop", { "istio.io/rev": "gone" }));
    expect(meshConfigFor(view, "shop")).toMatchObject({ trustDomain: "default.example" });
  });
});
