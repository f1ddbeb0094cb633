import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { DestinationRule, PeerAuthentication } from "../../src/cluster/kube-types.js";
import { watchPolicies, type PolicyChange, type PolicyWatch } from "../../src/cluster/watch-policies.js";
import { createLogger } from "../../src/logger.js";
import { namespacesToScan } from "../../src/worker/scan-scheduler.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { DEMO_SNAPSHOT, eventually } from "./incident-harness.js";

let kube: FakeKubeApi | undefined;
let watch: PolicyWatch | undefined;

afterEach(async () => {
  await watch?.close();
  await kube?.close();
  watch = undefined;
  kube = undefined;
});

function peerAuthentication(namespace: string, name: string, mode: "STRICT" | "PERMISSIVE" | "DISABLE"): PeerAuthentication {
  return { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name, namespace }, spec: { mtls: { mode } } };
}

function start(api: FakeKubeApi, debounceMs: number): { calls: [string, PolicyChange[]][] } {
  const calls: [string, PolicyChange[]][] = [];
  watch = watchPolicies(api.kubeConfig(), { debounceMs, retryDelayMs: 50, logger: createLogger("silent"), onChange: (ns, changes) => void calls.push([ns, changes]) });
  return { calls };
}

describe("the policy watch", () => {
  it("reports settled changes once per namespace, and not the objects that already existed", async () => {
    kube = await startFakeKubeApi({ snapshot: DEMO_SNAPSHOT });
    const { calls } = start(kube, 150);
    await watch?.ready;
    await delay(300);
    expect(calls).toEqual([]);
    kube.putObject(peerAuthentication("shop", "default", "PERMISSIVE"));
    kube.putObject(peerAuthentication("shop", "batch", "STRICT"));
    const rule: DestinationRule = { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "web", namespace: "frontend" }, spec: { host: "web" } };
    kube.putObject(rule);
    kube.deleteObject("AuthorizationPolicy", "shop", "storefront-allow-frontend");
    await eventually("both namespaces", () => calls.length >= 2);
    await delay(300);
    const byNamespace = Object.fromEntries(calls.map(([ns, changes]) => [ns, changes.map((c) => `${c.type} ${c.kind} ${c.name}`)]));
    expect(byNamespace).toEqual({
      shop: ["MODIFIED PeerAuthentication default", "ADDED PeerAuthentication batch", "DELETED AuthorizationPolicy storefront-allow-frontend"],
      frontend: ["ADDED DestinationRule web"],
    });
  });

  it("reconnects after the API server fails the watch, without missing the change", async () => {
    kube = await startFakeKubeApi({ snapshot: DEMO_SNAPSHOT, fail: [{ verb: "watch", resource: "peerauthentications.security.istio.io", status: 503, times: 3 }] });
    const { calls } = start(kube, 50);
    await watch?.ready;
    kube.putObject(peerAuthentication("shop", "default", "DISABLE"));
    await eventually("the change after reconnecting", () => calls.length > 0, 5_000);
    expect(calls[0]?.[0]).toBe("shop");
    expect(kube.requests.filter((r) => r.verb === "watch" && r.resource === "peerauthentications" && r.status === 503)).toHaveLength(3);
  });
});

describe("what a policy change scans", () => {
  it("scans the namespace, everything after a root namespace change, and nothing outside the configured namespaces", () => {
    expect(namespacesToScan("shop", [])).toEqual(["shop"]);
    expect(namespacesToScan("istio-system", [])).toEqual([]);
    expect(namespacesToScan("istio-system", ["shop", "frontend"])).toEqual(["shop", "frontend"]);
    expect(namespacesToScan("legacy", ["shop"])).toBeUndefined();
    expect(namespacesToScan("kube-system", [])).toBeUndefined();
  });
});
