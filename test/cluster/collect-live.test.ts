import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { collectLive, planForRequest, planForScan, type CollectPlan } from "../../src/cluster/collect-live.js";
import type { KubeObject } from "../../src/cluster/kube-types.js";
import { loadSnapshotDir } from "../../src/cluster/load-snapshot-dir.js";
import { INPUTS, type ClusterSnapshot, type Input } from "../../src/cluster/snapshot.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { SHARED_DIR, sharedAvailable } from "../support/shared-dir.js";
import { keysOf } from "./object-keys.js";
import { SOURCE, syntheticCluster, TARGET } from "./synthetic-cluster.js";

const SCENARIO = path.join(SHARED_DIR, "scenarios", "09-healthy-mesh", "snapshot");
const NOW = new Date("2026-11-27T12:00:00Z");
const ALL = new Set<Input>(INPUTS);

/** `check recommendations.recs --from storefront-web.web`, every input. */
function scenarioPlan(inputs: ReadonlySet<Input> = ALL): CollectPlan {
  return planForRequest(
    { mode: "check", target: { service: "recommendations", namespace: "recs" }, from: { name: "storefront-web", namespace: "web" }, now: NOW },
    inputs,
  );
}

/**
 * What the check reads of the scenario: the target namespace (but ReplicaSets, which are not collected,
 * and EndpointSlices of other Services), the source's Services, pods, owning Deployment and outbound
 * rules, the mesh-wide policies, mesh config and events of istio-system, and the three Namespaces.
 */
function expectedCheckKeys(loaded: ClusterSnapshot): string[] {
  return keysOf(loaded, (o: KubeObject) => {
    const ns = o.metadata?.namespace;
    const name = o.metadata?.name ?? "";
    if (o.kind === "Namespace") return ["recs", "web", "istio-system"].includes(name);
    if (ns === "recs") {
      if (o.kind === "ReplicaSet" || o.kind === "ConfigMap") return false;
      return o.kind !== "EndpointSlice" || o.metadata?.labels?.["kubernetes.io/service-name"] === "recommendations";
    }
    if (ns === "web") {
      if (["Service", "DestinationRule", "ServiceAccount", "Sidecar"].includes(o.kind ?? "")) return true;
      if (o.kind === "Pod") return o.metadata?.labels?.["app"] === "storefront-web";
      return o.kind === "Deployment" && name === "storefront-web";
    }
    if (ns === "istio-system") {
      if (["PeerAuthentication", "DestinationRule", "AuthorizationPolicy", "Event"].includes(o.kind ?? "")) return true;
      return o.kind === "ConfigMap" && /^istio(-.+)?$/.test(name);
    }
    return false;
  });
}

let fake: FakeKubeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe.skipIf(!sharedAvailable("collecting scenario 09 from the fake API server"))("a check of scenario 09 over the API", () => {
  test("collects the objects the check reads, the same as loading the directory", async () => {
    const loaded = await loadSnapshotDir(SCENARIO);
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(keysOf(collected)).toEqual(expectedCheckKeys(loaded));
    // The objects themselves are the API's: the same content as the files (kind/apiVersion filled in).
    const pod = collected.pods.find((p) => p.metadata?.name === "recommendations-qbmtpxv7p-qrp7h");
    expect(pod).toEqual(loaded.pods.find((p) => p.metadata?.name === "recommendations-qbmtpxv7p-qrp7h"));
  });

  test("reads the same proxy data as the directory holds: config dumps over exec, istio-proxy logs", async () => {
    const loaded = await loadSnapshotDir(SCENARIO);
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(loaded.proxies.size).toBeGreaterThan(0);
    for (const [key, data] of loaded.proxies) {
      expect(collected.proxies.get(key)?.configDump, key).toEqual(data.configDump);
      if (data.log !== undefined) expect(collected.proxies.get(key)?.log, key).toBe(data.log);
    }
    const execs = fake.requests.filter((r) => r.verb === "exec");
    // One exec for the config dump and one for the stats per inspected proxy, nothing else.
    const commands = execs.map((r) => r.command?.join(" "));
    expect(new Set(commands)).toEqual(new Set(["pilot-agent request GET config_dump", "pilot-agent request GET stats/prometheus"]));
    expect(commands.filter((c) => c?.endsWith("stats/prometheus"))).toHaveLength(commands.length / 2);
    expect(execs.every((r) => r.query["container"] === "istio-proxy")).toBe(true);
    // Two of the four pods have no config dump in the scenario: a note, not a skipped input.
    expect(collected.unavailable.configDumps).toBeUndefined();
    expect(collected.notes.join("\n")).toMatch(/configDumps: .*recommendations-qbmtpxv7p-hw4ws.*connection refused/);
  });

  test("lists only the namespaces involved, the source's pods by its selector, Namespaces in one request", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    const lists = fake.requests.filter((r) => r.verb === "list");
    expect(new Set(lists.map((r) => r.namespace ?? "(cluster)"))).toEqual(new Set(["recs", "web", "istio-system", "(cluster)"]));
    expect(lists.filter((r) => r.namespace === undefined)).toEqual([
      expect.objectContaining({ resource: "namespaces", query: expect.objectContaining({ labelSelector: "kubernetes.io/metadata.name in (istio-system,recs,web)" }) }),
    ]);
    const sourcePods = lists.filter((r) => r.resource === "pods" && r.namespace === "web");
    expect(sourcePods.map((r) => r.query["labelSelector"])).toEqual(["app=storefront-web"]);
    expect(lists.every((r) => r.query["limit"] !== undefined)).toBe(true);
    expect(fake.requests.some((r) => r.resource === "secrets")).toBe(false);
    // Deployments own every pod of recs: StatefulSets and DaemonSets are not asked for.
    expect(lists.filter((r) => r.namespace === "recs" && r.group === "apps").map((r) => r.resource)).toEqual(["deployments"]);
    // The source is a Service: the Deployment that owns its pods is read by name, not listed.
    expect(fake.requests.filter((r) => r.namespace === "web" && r.group === "apps").map((r) => `${r.verb} ${r.resource} ${r.name}`)).toEqual([
      "get deployments storefront-web",
    ]);
  });

  test("a --from in the target's namespace that is no Service is looked up among every workload kind", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const plan = planForRequest(
      { mode: "check", target: { service: "recommendations", namespace: "recs" }, from: { name: "batch", namespace: "recs" }, now: NOW },
      ALL,
    );
    await collectLive(fake.kubeConfig(), plan, { istioctl: null });
    const apps = fake.requests.filter((r) => r.namespace === "recs" && r.group === "apps").map((r) => r.resource).sort();
    expect(apps).toEqual(["daemonsets", "deployments", "statefulsets"]);
  });

  test("Namespaces without the kubernetes.io/metadata.name label are read by name; missing ones stay absent", async () => {
    const loaded = await loadSnapshotDir(SCENARIO);
    for (const ns of loaded.namespaces) delete ns.metadata?.labels?.["kubernetes.io/metadata.name"];
    loaded.authorizationPolicies[0]?.spec?.rules?.push({ from: [{ source: { namespaces: ["gone"] } }] });
    fake = await startFakeKubeApi({ snapshot: loaded });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(collected.namespaces.map((n) => n.metadata?.name).sort()).toEqual(["istio-system", "recs", "web"]);
    expect(collected.unavailable.namespaces).toBeUndefined();
    const gets = fake.requests.filter((r) => r.resource === "namespaces" && r.verb === "get");
    expect(gets.map((r) => `${r.name} ${r.status}`).sort()).toEqual(["gone 404", "istio-system 200", "recs 200", "web 200"]);
  });

  test("pages through lists with limit and continue", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const whole = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    fake.resetRequests();
    const paged = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null, pageSize: 1 });
    expect(keysOf(paged)).toEqual(keysOf(whole));
    const podPages = fake.requests.filter((r) => r.verb === "list" && r.resource === "pods" && r.namespace === "recs");
    expect(podPages.map((r) => [r.query["limit"], r.query["continue"] !== undefined])).toEqual([
      ["1", false],
      ["1", true],
    ]);
  });

  test("a 403 on pods/exec without istioctl: configDumps unavailable with the reason and the fix, the rest collected", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, forbid: [{ verb: "exec" }] });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(collected.unavailable.configDumps).toMatch(
      /cannot create pods\/exec of recs\/recommendations-qbmtpxv7p-\w+: forbidden \(grant .*"create" on pods\/exec in namespace recs\)/,
    );
    expect(collected.unavailable.configDumps).toMatch(/istioctl is not on PATH/);
    expect(collected.proxies.get("recs/recommendations-qbmtpxv7p-qrp7h")?.log).toContain("");
    expect(collected.unavailable.proxyLogs).toBeUndefined();
    expect(collected.unavailable.pods).toBeUndefined();
    expect(collected.pods).toHaveLength(4);
    expect(collected.peerAuthentications).toHaveLength(2);
  });

  test("a 403 on listing the target's pods: pods unavailable, saying what to grant; the source's proxies still read", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, forbid: [{ verb: "list", resource: "pods", namespace: "recs" }] });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(collected.unavailable.pods).toBe(
      'cannot list pods in namespace recs: forbidden (grant the mtls-doctor ServiceAccount, or your user, "list" on pods in namespace recs)',
    );
    expect(collected.proxies.get("web/storefront-web-wr87spq4c-2dfs4")?.configDump).toBeDefined();
    expect([...collected.proxies.keys()].some((k) => k.startsWith("recs/"))).toBe(false);
    expect(collected.notes.join("\n")).toMatch(/some proxies could not be chosen: cannot list pods in namespace recs/);
    expect(collected.services.length).toBeGreaterThan(0);
    expect(collected.unavailable.services).toBeUndefined();
  });

  test("Istio CRDs not installed: empty lists and a note, not an unavailable input", async () => {
    fake = await startFakeKubeApi({
      snapshot: SCENARIO,
      fail: [{ resource: "peerauthentications.security.istio.io", status: 404 }],
    });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(collected.peerAuthentications).toEqual([]);
    expect(collected.unavailable.peerAuthentications).toBeUndefined();
    expect(collected.notes).toContain("PeerAuthentication is not served by this cluster (Istio's CRDs are not installed): none were collected");
    const versions = fake.requests.filter((r) => r.resource === "peerauthentications").map((r) => r.version);
    expect(new Set(versions)).toEqual(new Set(["v1", "v1beta1"]));
  });

  test("a server error on one kind makes that input unavailable and nothing else", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, fail: [{ verb: "list", resource: "events", status: 500, message: "etcd is sad" }] });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null });
    expect(collected.unavailable.events).toMatch(/^cannot list events in namespace (recs|istio-system): the API server answered 500: etcd is sad \(retry/);
    // The scenario's proxies hold no stats.txt: the fake's sidecars refuse stats/prometheus, as a proxy that is down would.
    expect(Object.keys(collected.unavailable).sort()).toEqual(["events", "istioctlAnalyze", "proxyStats", "proxyStatus"]);
  });

  test("every call has a timeout: a stalled API server makes inputs unavailable, never hangs the collection", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO, latencyMs: 400 });
    const started = Date.now();
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(), { istioctl: null, timeoutMs: 100, proxyTimeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(collected.unavailable.pods).toMatch(
      /^cannot list pods in namespace recs: no answer within 0\.1 s \(check that the API server is reachable and not overloaded, then retry\)/,
    );
    expect(collected.unavailable.peerAuthentications).toMatch(/no answer within 0\.1 s/);
  });

  test("collects only the inputs asked for", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), scenarioPlan(new Set<Input>(["peerAuthentications"])), { istioctl: null });
    expect(new Set(fake.requests.map((r) => r.resource))).toEqual(new Set(["peerauthentications"]));
    expect(collected.peerAuthentications.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).toEqual([
      "istio-system/default",
      "recs/default",
    ]);
  });

  test("a scan of given namespaces lists each of them and the root namespace, nothing cluster-wide but their Namespaces", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), planForScan(["recs", "web"]), { istioctl: null });
    const loaded = await loadSnapshotDir(SCENARIO);
    const scoped = (o: KubeObject) =>
      (o.kind === "Namespace" && ["recs", "web", "istio-system"].includes(o.metadata?.name ?? "")) ||
      (["recs", "web"].includes(o.metadata?.namespace ?? "") && o.kind !== "ReplicaSet" && o.kind !== "ConfigMap");
    expect(keysOf(collected, scoped)).toEqual(keysOf(loaded, scoped));
    expect(fake.requests.filter((r) => r.verb === "list" && r.namespace === undefined).map((r) => r.resource)).toEqual(["namespaces"]);
  });

  test("a scan of every namespace uses cluster-wide lists", async () => {
    fake = await startFakeKubeApi({ snapshot: SCENARIO });
    const collected = await collectLive(fake.kubeConfig(), planForScan([]), { istioctl: null });
    const loaded = await loadSnapshotDir(SCENARIO);
    const kept = (o: KubeObject) => o.kind !== "ReplicaSet" && o.kind !== "ConfigMap";
    expect(keysOf(collected, kept)).toEqual(keysOf(loaded, kept));
    const namespaced = fake.requests.filter((r) => r.verb === "list" && r.namespace !== undefined);
    // Root-namespace-only kinds: the mesh config, and Cloud Service Mesh's revisions (a scan always asks).
    expect(namespaced.map((r) => `${r.resource} ${r.namespace}`).sort()).toEqual(["configmaps istio-system", "controlplanerevisions istio-system"]);
  });
});

describe("request counts", () => {
  async function countFor(namespaces: number): Promise<{ total: number; shape: string[] }> {
    const server = await startFakeKubeApi({ snapshot: syntheticCluster({ namespaces }) });
    try {
      const plan = planForRequest({ mode: "check", target: TARGET, from: SOURCE, now: NOW }, ALL);
      await collectLive(server.kubeConfig(), plan, { istioctl: null });
      const shape = server.requests.map((r) => `${r.verb} ${r.resource} ${r.namespace ?? "-"} ${r.query["labelSelector"] ?? ""}`).sort();
      return { total: server.requests.length, shape };
    } finally {
      await server.close();
    }
  }

  test("a check makes the same requests in a cluster of 10 and of 1,000 namespaces", async () => {
    const small = await countFor(10);
    const large = await countFor(1_000);
    expect(large.total).toBe(small.total);
    expect(large.shape).toEqual(small.shape);
    const namespaces = new Set(large.shape.map((s) => s.split(" ")[2]));
    expect(namespaces).toEqual(new Set([TARGET.namespace, SOURCE.namespace, "istio-system", "-"]));
  }, 60_000);

  test("5,000 pods in the target namespace behind 5 ms of latency: paged in large pages, well within the budget", async () => {
    fake = await startFakeKubeApi({ snapshot: syntheticCluster({ namespaces: 10, targetPods: 5_000 }), latencyMs: 5 });
    const plan = planForRequest({ mode: "check", target: TARGET, from: SOURCE, now: NOW }, ALL);
    const started = performance.now();
    const collected = await collectLive(fake.kubeConfig(), plan, { istioctl: null });
    const elapsed = performance.now() - started;
    expect(collected.pods.filter((p) => p.metadata?.namespace === TARGET.namespace)).toHaveLength(5_000);
    const pages = fake.requests.filter((r) => r.verb === "list" && r.resource === "pods" && r.namespace === TARGET.namespace);
    expect(pages).toHaveLength(5);
    // The fake server runs in this process and spends most of this time serialising pods; the goal
    // (under 1 s) is measured by the bench with the server apart. This guards against regressions
    // such as sequential requests or small pages, which take several seconds here.
    expect(elapsed).toBeLessThan(2_500);
  }, 30_000);
});
