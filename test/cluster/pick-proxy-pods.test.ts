import { describe, expect, test } from "vitest";
import type { Pod, Service, Workload } from "../../src/cluster/kube-types.js";
import { labelSelectorQuery, pickProxyPods, pickScanProxyPods, resolveSourceSelector } from "../../src/cluster/pick-proxy-pods.js";

function pod(ns: string, name: string, labels: Record<string, string>, options: { proxy?: boolean; phase?: string; ready?: boolean; owner?: string } = {}): Pod {
  const proxy = options.proxy ?? true;
  return {
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels,
      ...(options.owner ? { ownerReferences: [{ kind: "ReplicaSet", name: options.owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: "app" }, ...(proxy ? [{ name: "istio-proxy" }] : [])] },
    status: { phase: options.phase ?? "Running", containerStatuses: proxy ? [{ name: "istio-proxy", ready: options.ready ?? true }] : [] },
  };
}

const service = (ns: string, name: string, selector: Record<string, string>): Service => ({ kind: "Service", metadata: { name, namespace: ns }, spec: { selector } });
const deployment = (ns: string, name: string, matchLabels: Record<string, string>): Workload => ({
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: { selector: { matchLabels } },
});

describe("choosing the proxies a check inspects", () => {
  test("the target Service's running pods with a sidecar, not-ready first, then by name; the cap is noted", () => {
    const objects = {
      services: [service("shop", "web", { app: "web" })],
      workloads: [],
      pods: [
        pod("shop", "web-c", { app: "web" }),
        pod("shop", "web-a", { app: "web" }, { ready: false }),
        pod("shop", "web-b", { app: "web" }),
        pod("shop", "web-d", { app: "web" }, { proxy: false }),
        pod("shop", "web-e", { app: "web" }, { phase: "Succeeded" }),
        pod("other", "web-f", { app: "web" }),
      ],
    };
    const choice = pickProxyPods(objects, { target: { service: "web", namespace: "shop" } }, 2);
    expect(choice.target.map((p) => p.metadata?.name)).toEqual(["web-a", "web-b"]);
    expect(choice.notes).toEqual([
      "proxies of 2 of the 3 target pods in shop were inspected (at most 3 per workload and 2 per side: not-ready first, then one per sidecar revision and node)",
    ]);
  });

  test("at most 3 proxies per workload, spread over sidecar revisions and nodes, however many replicas", () => {
    const replica = (name: string, node: string, rev: string, ready = true, owner = "web-7d9f8c6b5") => {
      const p = pod("shop", name, { app: "web", "pod-template-hash": owner.split("-").pop() ?? "", "istio.io/rev": rev }, { owner, ready });
      return { ...p, spec: { ...p.spec, nodeName: node } };
    };
    const objects = {
      services: [service("shop", "web", { app: "web" })],
      workloads: [],
      pods: [
        replica("web-01", "node-a", "1-25"),
        replica("web-02", "node-a", "1-25"),
        replica("web-03", "node-a", "1-25"),
        replica("web-04", "node-b", "1-25"),
        replica("web-05", "node-b", "1-26"),
        replica("web-06", "node-c", "1-25", false),
        replica("web-07", "node-c", "1-25"),
        replica("web-08", "node-a", "1-25", true, "web-canary-5c4b3a2d1"),
      ],
    };
    const choice = pickProxyPods(objects, { target: { service: "web", namespace: "shop" } }, 10);
    // The not-ready one, then the other revision (on another node), then a node not yet covered; the canary is its own workload.
    expect(choice.target.map((p) => p.metadata?.name)).toEqual(["web-06", "web-05", "web-01", "web-08"]);
    expect(choice.notes).toEqual([expect.stringMatching(/^proxies of 4 of the 8 target pods in shop were inspected \(at most 3 per workload/)]);
  });

  test("the source is a Service of that name, else a Deployment; a pod on both sides is inspected once", () => {
    const objects = {
      services: [service("shop", "web", { app: "web" })],
      workloads: [deployment("shop", "checkout", { app: "checkout" }), deployment("shop", "web", { tier: "x" })],
      pods: [pod("shop", "web-1", { app: "web" }), pod("shop", "checkout-1", { app: "checkout" })],
    };
    expect(resolveSourceSelector(objects, { name: "web", namespace: "shop" })).toEqual({ kind: "Service", selector: { matchLabels: { app: "web" } } });
    expect(resolveSourceSelector(objects, { name: "checkout", namespace: "shop" })?.kind).toBe("Deployment");
    expect(resolveSourceSelector(objects, { name: "nothing", namespace: "shop" })).toBeUndefined();
    const choice = pickProxyPods(objects, { target: { service: "web", namespace: "shop" }, source: { name: "web", namespace: "shop" } }, 5);
    expect(choice.target.map((p) => p.metadata?.name)).toEqual(["web-1"]);
    expect(choice.source).toEqual([]);
    const fromCheckout = pickProxyPods(objects, { target: { service: "web", namespace: "shop" }, source: { name: "checkout", namespace: "shop" } }, 5);
    expect(fromCheckout.source.map((p) => p.metadata?.name)).toEqual(["checkout-1"]);
  });

  test("a Service without a selector selects nothing", () => {
    const objects = { services: [service("shop", "external", {})], workloads: [], pods: [pod("shop", "a", {})] };
    expect(pickProxyPods(objects, { target: { service: "external", namespace: "shop" } }, 5).target).toEqual([]);
  });

  test("a scan inspects one pod per workload, capped per namespace and in all", () => {
    const pods = [
      pod("a", "web-h1-1", { "pod-template-hash": "h1" }, { owner: "web-h1" }),
      pod("a", "web-h1-2", { "pod-template-hash": "h1" }, { owner: "web-h1" }),
      pod("a", "api-h2-1", { "pod-template-hash": "h2" }, { owner: "api-h2" }),
      pod("a", "lonely", {}),
      pod("b", "db-h3-1", { "pod-template-hash": "h3" }, { owner: "db-h3" }),
    ];
    const choice = pickScanProxyPods(pods, 2, 3);
    expect(choice.pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(["a/api-h2-1", "a/lonely", "b/db-h3-1"]);
    expect(choice.notes).toEqual(["proxies of 2 of the 3 workloads with sidecars in a were inspected (the limit per namespace)"]);
    expect(pickScanProxyPods(pods, 5, 2).notes).toContain("proxies of 2 of 4 eligible pods were inspected (the overall limit)");
  });
});

test("selectors become the API's labelSelector syntax", () => {
  expect(
    labelSelectorQuery({
      matchLabels: { app: "web", tier: "front" },
      matchExpressions: [
        { key: "track", operator: "In", values: ["stable", "canary"] },
        { key: "legacy", operator: "DoesNotExist" },
        { key: "zone", operator: "NotIn", values: ["x"] },
        { key: "team", operator: "Exists" },
      ],
    }),
  ).toBe("app=web,tier=front,track in (stable,canary),!legacy,zone notin (x),team");
});
