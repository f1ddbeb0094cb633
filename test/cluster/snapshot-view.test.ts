import { describe, expect, it } from "vitest";
import { addObject, emptySnapshot } from "../../src/cluster/snapshot.js";
import { ReadTracker, SnapshotView, UndeclaredInputError } from "../../src/cluster/snapshot-view.js";

function snapshotOf(...objects: unknown[]) {
  const snapshot = emptySnapshot();
  for (const obj of objects) if (!addObject(snapshot, obj)) throw new Error(`not kept: ${JSON.stringify(obj)}`);
  return snapshot;
}

function pod(namespace: string, name: string, phase?: string) {
  return { kind: "Pod", metadata: { name, namespace }, ...(phase ? { status: { phase } } : {}) };
}

describe("SnapshotView.pods", () => {
  const view = new SnapshotView(
    snapshotOf(
      pod("shop", "running", "Running"),
      pod("shop", "pending", "Pending"),
      pod("shop", "no-status"),
      pod("shop", "job-done", "Succeeded"),
      pod("shop", "crashed-out", "Failed"),
      pod("web", "frontend", "Running"),
    ),
  );

  it("counts only Running and Pending pods (and pods without a status), per namespace", () => {
    expect(view.pods("shop").map((p) => p.metadata?.name)).toEqual(["running", "pending", "no-status"]);
    expect(view.pods().map((p) => p.metadata?.name)).toEqual(["running", "pending", "no-status", "frontend"]);
    expect(view.pods("empty")).toEqual([]);
  });

  it("does not find a completed pod by name", () => {
    expect(view.pod("shop", "job-done")).toBeUndefined();
    expect(view.pod("shop", "running")?.metadata?.name).toBe("running");
  });
});

describe("SnapshotView lookups", () => {
  it("names every namespace an object lives in, with or without a Namespace object, sorted", () => {
    const view = new SnapshotView(
      snapshotOf({ kind: "Namespace", metadata: { name: "shop" } }, pod("web", "frontend", "Running"), {
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "istio-system" },
      }),
    );
    expect(view.namespaceNames()).toEqual(["istio-system", "shop", "web"]);
    expect(view.namespace("shop")?.metadata?.name).toBe("shop");
    expect(view.namespace("web")).toBeUndefined();
  });

  it("finds mesh config ConfigMaps (istio, istio-<rev>) only when they hold a `mesh` key", () => {
    const cm = (name: string, data: Record<string, string>) => ({ kind: "ConfigMap", metadata: { name, namespace: "istio-system" }, data });
    const view = new SnapshotView(
      snapshotOf(
        cm("istio", { mesh: "{}" }),
        cm("istio-canary", { mesh: "{}" }),
        cm("istio-sidecar-injector", { config: "{}" }),
        cm("istio-ca-root-cert", { "root-cert.pem": "..." }),
        cm("istiod-settings", { mesh: "{}" }),
      ),
    );
    expect(view.meshConfigMaps().map((c) => c.metadata?.name)).toEqual(["istio", "istio-canary"]);
  });

  it("reports why an input could not be collected", () => {
    const snapshot = snapshotOf();
    snapshot.unavailable.proxyStatus = "istioctl is not installed";
    const view = new SnapshotView(snapshot);
    expect(view.unavailable("proxyStatus")).toBe("istioctl is not installed");
    expect(view.unavailable("pods")).toBeUndefined();
  });
});

describe("read tracking", () => {
  it("records what a view reads", () => {
    const tracker = new ReadTracker();
    const view = new SnapshotView(snapshotOf(pod("shop", "a", "Running")), tracker);
    view.pods("shop");
    view.destinationRules("shop");
    expect([...tracker.read].sort()).toEqual(["destinationRules", "pods"]);
  });

  it("refuses a read of an input that was not declared", () => {
    const view = new SnapshotView(snapshotOf()).withTracker(new ReadTracker(new Set(["pods"])));
    expect(() => view.pods()).not.toThrow();
    expect(() => view.services("shop")).toThrow(UndeclaredInputError);
  });

  it("a memoised value replays its reads, so a cache hit is refused to a check that did not declare them", () => {
    const base = new SnapshotView(snapshotOf(pod("shop", "a", "Running")));
    const first = base.withTracker(new ReadTracker(new Set(["pods"])));
    expect(first.derived("pod-count", () => first.pods().length)).toBe(1);

    const declaredPods = new ReadTracker(new Set(["pods"]));
    expect(base.withTracker(declaredPods).derived("pod-count", () => -1)).toBe(1);
    expect([...declaredPods.read]).toEqual(["pods"]);

    const undeclared = base.withTracker(new ReadTracker(new Set(["services"])));
    expect(() => undeclared.derived("pod-count", () => -1)).toThrow(UndeclaredInputError);
  });
});
