import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import * as k8s from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Pod } from "../../src/cluster/kube-types.js";
import { emptySnapshot, type ClusterSnapshot } from "../../src/cluster/snapshot.js";
import { startFakeKubeApi, type FakeKubeApi } from "./fake-kube-api.js";
import { SHARED_DIR, sharedAvailable } from "./shared-dir.js";

const SSA = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.ServerSideApply);
const MERGE = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const PA = { group: "security.istio.io", version: "v1", plural: "peerauthentications" } as const;

const CONFIG_DUMP = { configs: [{ "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", bootstrap: { node: { id: "sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local" } } }] };

function pod(namespace: string, name: string, labels: Record<string, string>, phase = "Running"): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels, resourceVersion: "100" },
    spec: { containers: [{ name: "app" }, { name: "istio-proxy" }], serviceAccountName: "default" },
    status: { phase },
  };
}

/** Two namespaces, six pods (two without the label `tier`), one policy, one event, proxy data for two pods. */
function smallSnapshot(): ClusterSnapshot {
  const snapshot = emptySnapshot();
  snapshot.namespaces.push(
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "istio-injection": "enabled" } } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy" } },
  );
  snapshot.pods.push(
    pod("shop", "web-1", { app: "web", tier: "frontend", version: "v1" }),
    pod("shop", "web-2", { app: "web", tier: "frontend", version: "v2" }),
    pod("shop", "web-3", { app: "web", tier: "frontend", version: "v3" }),
    pod("shop", "api-1", { app: "api", tier: "backend" }),
    pod("shop", "batch-1", { app: "batch" }, "Succeeded"),
    pod("legacy", "web-1", { app: "web" }),
  );
  snapshot.peerAuthentications.push({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: "shop", resourceVersion: "200" },
    spec: { mtls: { mode: "STRICT" } },
  });
  snapshot.events.push({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "web-1.17f", namespace: "shop" },
    involvedObject: { kind: "Pod", name: "web-1", namespace: "shop" },
    reason: "Unhealthy",
    type: "Warning",
    message: "Readiness probe failed",
  });
  snapshot.proxies.set("shop/web-1", { configDump: CONFIG_DUMP, log: "line 1\nline 2\nline 3\n" });
  snapshot.proxies.set("shop/api-1", { log: "only log\n" });
  return snapshot;
}

function apiError(err: unknown): { code: number; status: { reason?: string; message?: string; details?: unknown } } {
  expect(err).toBeInstanceOf(k8s.ApiException);
  const e = err as k8s.ApiException<string>;
  return { code: e.code, status: JSON.parse(e.body) as { reason?: string; message?: string } };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: k8s.V1Status;
}

async function execIn(kc: k8s.KubeConfig, namespace: string, podName: string, command: string[]): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const status = await new Promise<k8s.V1Status>((resolve, reject) => {
    new k8s.Exec(kc).exec(namespace, podName, "istio-proxy", command, stdout, stderr, null, false, resolve).catch(reject);
  });
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status };
}

describe("fake Kubernetes API server with the real client-node", () => {
  let fake: FakeKubeApi;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let custom: k8s.CustomObjectsApi;

  beforeEach(async () => {
    fake = await startFakeKubeApi({ snapshot: smallSnapshot() });
    kc = fake.kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
  });

  afterEach(async () => {
    await fake.close();
  });

  test("answers /version like a 1.30 server and /healthz", async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.minor).toBe("30");
    const health = await fetch(`${fake.url}/healthz`);
    expect(await health.text()).toBe("ok");
  });

  test("lists pods by label selector one page at a time, following continue", async () => {
    const names: string[] = [];
    const pages: (number | undefined)[] = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedPod({ namespace: "shop", labelSelector: "app=web", limit: 2, ...(token ? { _continue: token } : {}) });
      names.push(...page.items.map((p) => p.metadata?.name ?? ""));
      pages.push(page.items.length);
      token = page.metadata?._continue;
    } while (token);
    expect(names).toEqual(["web-1", "web-2", "web-3"]);
    expect(pages).toEqual([2, 1]);

    const first = await core.listNamespacedPod({ namespace: "shop", limit: 2 });
    expect(first.metadata?.remainingItemCount).toBe(3);
    expect(first.metadata?._continue).toBeTruthy();
    const requests = fake.requests.filter((r) => r.verb === "list" && r.resource === "pods");
    expect(requests[1]?.query.continue).toBeTruthy();
  });

  test("serves every label selector form and the supported field selectors", async () => {
    const podNames = async (labelSelector?: string, fieldSelector?: string, namespace = "shop"): Promise<string[]> => {
      const list = await core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) });
      return list.items.map((p) => p.metadata?.name ?? "");
    };
    expect(await podNames("app!=web")).toEqual(["api-1", "batch-1"]);
    expect(await podNames("version in (v1, v3)")).toEqual(["web-1", "web-3"]);
    expect(await podNames("app notin (web,api)")).toEqual(["batch-1"]);
    expect(await podNames("tier")).toEqual(["api-1", "web-1", "web-2", "web-3"]);
    expect(await podNames("!tier")).toEqual(["batch-1"]);
    expect(await podNames("app=web,tier=frontend,version!=v2")).toEqual(["web-1", "web-3"]);
    expect(await podNames(undefined, "status.phase=Succeeded")).toEqual(["batch-1"]);
    expect(await podNames(undefined, "metadata.name=web-2")).toEqual(["web-2"]);

    const all = await core.listPodForAllNamespaces({ labelSelector: "app=web" });
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(["legacy/web-1", "shop/web-1", "shop/web-2", "shop/web-3"]);

    const events = await core.listNamespacedEvent({ namespace: "shop", fieldSelector: "involvedObject.name=web-1,involvedObject.kind=Pod" });
    expect(events.items.map((e) => e.reason)).toEqual(["Unhealthy"]);

    const bad = apiError(await caught(core.listNamespacedPod({ namespace: "shop", fieldSelector: "spec.nope=1" })));
    expect(bad.code).toBe(400);
  });

  test("lists serve PodList items without kind, custom resources with it, as a real server does", async () => {
    const raw = (await (await fetch(`${fake.url}/api/v1/namespaces/shop/pods?limit=1`)).json()) as { kind: string; apiVersion: string; items: object[] };
    expect(raw.kind).toBe("PodList");
    expect(raw.apiVersion).toBe("v1");
    expect(raw.items[0]).not.toHaveProperty("kind");
    const policies = (await custom.listNamespacedCustomObject({ ...PA, version: "v1beta1", namespace: "shop" })) as { kind: string; items: { apiVersion: string; kind: string }[] };
    expect(policies.kind).toBe("PeerAuthenticationList");
    expect(policies.items[0]).toMatchObject({ apiVersion: "security.istio.io/v1beta1", kind: "PeerAuthentication" });
  });

  test("a missing object is a 404 ApiException with a NotFound Status", async () => {
    const err = apiError(await caught(core.readNamespacedPod({ namespace: "shop", name: "nope" })));
    expect(err.code).toBe(404);
    expect(err.status).toMatchObject({ reason: "NotFound", message: 'pods "nope" not found' });
    const policy = apiError(await caught(custom.getNamespacedCustomObject({ ...PA, namespace: "shop", name: "nope" })));
    expect(policy.status.message).toBe('peerauthentications.security.istio.io "nope" not found');
  });

  test("forbid rules answer 403 with RBAC's message, only as many times as asked", async () => {
    fake.setOptions({ forbid: [{ verb: "list", resource: "pods", namespace: "shop", times: 1 }] });
    const err = apiError(await caught(core.listNamespacedPod({ namespace: "shop" })));
    expect(err.code).toBe(403);
    expect(err.status).toMatchObject({
      reason: "Forbidden",
      message: 'pods is forbidden: User "system:serviceaccount:mtls:mtls-doctor" cannot list resource "pods" in API group "" in the namespace "shop"',
    });
    expect((await core.listNamespacedPod({ namespace: "shop" })).items).toHaveLength(5);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200]);

    fake.setOptions({ forbid: [{ resource: "peerauthentications", name: "default" }] });
    const named = apiError(await caught(custom.getNamespacedCustomObject({ ...PA, namespace: "shop", name: "default" })));
    expect(named.status.message).toBe(
      'peerauthentications.security.istio.io "default" is forbidden: User "system:serviceaccount:mtls:mtls-doctor" cannot get resource "peerauthentications" in API group "security.istio.io" in the namespace "shop"',
    );
  });

  test("fail rules answer the status asked for, 500 by default", async () => {
    fake.setOptions({ fail: [{ resource: "services", status: 503 }, { verb: "get", resource: "pods" }] });
    expect(apiError(await caught(core.listNamespacedService({ namespace: "shop" }))).code).toBe(503);
    const err = apiError(await caught(core.readNamespacedPod({ namespace: "shop", name: "web-1" })));
    expect(err.code).toBe(500);
    expect(err.status.reason).toBe("InternalError");
    expect((await core.listNamespacedPod({ namespace: "shop" })).items).toHaveLength(5);
  });

  test("server-side apply: dry-run stores nothing, a real apply bumps resourceVersion, a no-op does not", async () => {
    const body = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "shop" },
      spec: { mtls: { mode: "PERMISSIVE" } },
    };
    const params = { ...PA, namespace: "shop", name: "default", body, fieldManager: "mtls-doctor", force: true };
    const before = fake.getObject("PeerAuthentication", "shop", "default");

    const dry = (await custom.patchNamespacedCustomObject({ ...params, dryRun: "All" }, SSA)) as { spec: { mtls: { mode: string } } };
    expect(dry.spec.mtls.mode).toBe("PERMISSIVE");
    expect(fake.getObject("PeerAuthentication", "shop", "default")).toEqual(before);
    expect(fake.requests.at(-1)).toMatchObject({ verb: "patch", dryRun: true, contentType: "application/apply-patch+yaml", query: { fieldManager: "mtls-doctor" } });

    const applied = (await custom.patchNamespacedCustomObject(params, SSA)) as { metadata: { resourceVersion: string }; spec: { mtls: { mode: string } } };
    expect(applied.spec.mtls.mode).toBe("PERMISSIVE");
    expect(Number(applied.metadata.resourceVersion)).toBeGreaterThan(Number(before?.metadata?.resourceVersion));
    expect(fake.objects().peerAuthentications[0]?.spec?.mtls?.mode).toBe("PERMISSIVE");

    const again = (await custom.patchNamespacedCustomObject(params, SSA)) as { metadata: { resourceVersion: string } };
    expect(again.metadata.resourceVersion).toBe(applied.metadata.resourceVersion);
  });

  test("server-side apply creates an absent object, validates it, and needs a field manager", async () => {
    const body = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "api", namespace: "shop" }, spec: { mtls: { mode: "STRICT" } } };
    await custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "api", body, fieldManager: "mtls-doctor" }, SSA);
    expect(fake.getObject("PeerAuthentication", "shop", "api")).toMatchObject({ spec: { mtls: { mode: "STRICT" } } });
    expect(fake.requests.at(-1)?.status).toBe(201);

    const invalid = { ...body, spec: { mtls: { mode: "SOMETIMES" } } };
    const err = apiError(await caught(custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "api", body: invalid, fieldManager: "mtls-doctor" }, SSA)));
    expect(err.code).toBe(422);
    expect(err.status.message).toContain('spec.mtls.mode: Unsupported value: "SOMETIMES"');

    const noManager = apiError(await caught(custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "api", body }, SSA)));
    expect(noManager.code).toBe(422);
    expect(noManager.status.message).toContain("fieldManager: Required value");
  });

  test("a stale resourceVersion or a conflict rule is a 409 Conflict", async () => {
    const body = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "shop", resourceVersion: "1" },
      spec: { mtls: { mode: "PERMISSIVE" } },
    };
    const stale = apiError(await caught(custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "default", body, fieldManager: "mtls-doctor" }, SSA)));
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe("Conflict");
    expect(stale.status.message).toContain("the object has been modified");

    const current = fake.getObject("PeerAuthentication", "shop", "default")?.metadata?.resourceVersion;
    const fresh = { ...body, metadata: { ...body.metadata, resourceVersion: current } };
    fake.setOptions({ conflict: [{ resource: "peerauthentications", times: 1 }] });
    const ruled = apiError(await caught(custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "default", body: fresh, fieldManager: "mtls-doctor" }, SSA)));
    expect(ruled.code).toBe(409);
    expect(ruled.status.message).toMatch(/^Apply failed with 1 conflict/);
    await custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "default", body: fresh, fieldManager: "mtls-doctor" }, SSA);
    expect(fake.getObject("PeerAuthentication", "shop", "default")).toMatchObject({ spec: { mtls: { mode: "PERMISSIVE" } } });
  });

  test("KubernetesObjectApi finds resources through discovery and applies with ServerSideApply", async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec: k8s.KubernetesObject & { spec: object } = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "api", namespace: "shop" },
      spec: { host: "api.shop.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } },
    };
    const result = await objects.patch(spec, undefined, undefined, "mtls-doctor", true, k8s.PatchStrategy.ServerSideApply);
    expect(result.metadata?.resourceVersion).toBeTruthy();
    expect(fake.objects().destinationRules.map((d) => d.metadata?.name)).toEqual(["api"]);
    expect(fake.requests.some((r) => r.path === "/apis/networking.istio.io/v1" && r.status === 200)).toBe(true);

    const read = await objects.read({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    expect(read.metadata?.labels).toEqual({ "istio-injection": "enabled" });
  });

  test("merge patches change labels; created events can be read back; deletes remove", async () => {
    await core.patchNamespacedPod({ namespace: "shop", name: "web-1", body: { metadata: { labels: { version: null, patched: "yes" } } } }, MERGE);
    expect(fake.getObject("Pod", "shop", "web-1")?.metadata?.labels).toEqual({ app: "web", tier: "frontend", patched: "yes" });

    await core.createNamespacedEvent({
      namespace: "shop",
      body: { metadata: { generateName: "mtls-doctor-" }, involvedObject: { kind: "Service", name: "api", namespace: "shop" }, reason: "MtlsFixApplied", message: "applied", type: "Normal" },
    });
    const events = await core.listNamespacedEvent({ namespace: "shop", fieldSelector: "reason=MtlsFixApplied" });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]?.metadata?.name).toMatch(/^mtls-doctor-[a-z0-9]{5}$/);
    expect(fake.objects().events).toHaveLength(2);

    await custom.deleteNamespacedCustomObject({ ...PA, namespace: "shop", name: "default" });
    expect(fake.getObject("PeerAuthentication", "shop", "default")).toBeUndefined();
  });

  test("pods/log answers the snapshot's istio-proxy log, tailLines honoured", async () => {
    expect(await core.readNamespacedPodLog({ namespace: "shop", name: "web-1", container: "istio-proxy", tailLines: 2 })).toBe("line 2\nline 3\n");
    expect(await core.readNamespacedPodLog({ namespace: "shop", name: "web-2", container: "istio-proxy" })).toBe("");
    expect(apiError(await caught(core.readNamespacedPodLog({ namespace: "shop", name: "gone", container: "istio-proxy" }))).code).toBe(404);
    expect(fake.requests.at(-1)).toMatchObject({ verb: "log", resource: "pods/log", namespace: "shop", name: "gone", query: { container: "istio-proxy" } });
  });

  test("exec over WebSocket: pilot-agent config_dump answers the dump and Success", async () => {
    const result = await execIn(kc, "shop", "web-1", ["pilot-agent", "request", "GET", "config_dump"]);
    expect(result.status.status).toBe("Success");
    expect(JSON.parse(result.stdout)).toEqual(CONFIG_DUMP);
    expect(fake.requests.at(-1)).toMatchObject({ verb: "exec", resource: "pods/exec", command: ["pilot-agent", "request", "GET", "config_dump"], status: 101 });

    const withEds = await execIn(kc, "shop", "web-1", ["pilot-agent", "request", "GET", "config_dump?include_eds"]);
    expect(JSON.parse(withEds.stdout)).toEqual(CONFIG_DUMP);
  });

  test("exec without a dump fails like the real one; a forbidden exec is refused before the upgrade", async () => {
    const result = await execIn(kc, "shop", "api-1", ["pilot-agent", "request", "GET", "config_dump"]);
    expect(result.status).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "1" }] } });
    expect(result.stderr).toContain("connection refused");

    const other = await execIn(kc, "shop", "web-1", ["cat", "/etc/hosts"]);
    expect(other.status.status).toBe("Failure");

    fake.setOptions({ forbid: [{ verb: "exec" }] });
    await expect(execIn(kc, "shop", "web-1", ["pilot-agent", "request", "GET", "config_dump"])).rejects.toBeDefined();
    expect(fake.requests.at(-1)?.status).toBe(403);
  });

  test("latencyMs delays every request", async () => {
    fake.setOptions({ latencyMs: 150 });
    const started = performance.now();
    await core.readNamespace({ name: "shop" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    fake.setOptions({ latencyMs: 0 });
    const quick = performance.now();
    await core.readNamespace({ name: "shop" });
    expect(performance.now() - quick).toBeLessThan(140);
  });

  test("watches stream ADDED, MODIFIED and DELETED for policies written through the fake", async () => {
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new k8s.Watch(kc).watch(
        "/apis/security.istio.io/v1/namespaces/shop/peerauthentications",
        { resourceVersion: fake.getObject("PeerAuthentication", "shop", "default")?.metadata?.resourceVersion },
        (type, obj: { metadata: { name: string }; spec?: { mtls?: { mode?: string } } }) => {
          seen.push(`${type} ${obj.metadata.name} ${obj.spec?.mtls?.mode ?? ""}`);
          if (type === "DELETED") resolve();
        },
        () => undefined,
      );
    });
    await new Promise((r) => setTimeout(r, 50));
    const body = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "shop" }, spec: { mtls: { mode: "PERMISSIVE" } } };
    await custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "default", body, fieldManager: "mtls-doctor", force: true }, SSA);
    fake.putObject({ ...body, metadata: { name: "other", namespace: "legacy" } } as never);
    fake.deleteObject("PeerAuthentication", "shop", "default");
    await done;
    expect(seen).toEqual(["MODIFIED default PERMISSIVE", "DELETED default PERMISSIVE"]);
  });

  test("an informer lists, then watches from the list's resourceVersion", async () => {
    let listedAt: string | undefined;
    const informer = k8s.makeInformer(
      kc,
      "/apis/security.istio.io/v1/namespaces/shop/peerauthentications",
      async () => {
        const list = (await custom.listNamespacedCustomObject({ ...PA, namespace: "shop" })) as k8s.KubernetesListObject<k8s.KubernetesObject>;
        listedAt = list.metadata?.resourceVersion;
        return list;
      },
    );
    const added: string[] = [];
    informer.on("add", (obj) => added.push(obj.metadata?.name ?? ""));
    const updated = new Promise<k8s.KubernetesObject>((resolve) => informer.on("update", resolve));
    await informer.start();
    expect(added).toEqual(["default"]);
    await new Promise((r) => setTimeout(r, 50));
    const body = { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "shop" }, spec: { mtls: { mode: "DISABLE" } } };
    await custom.patchNamespacedCustomObject({ ...PA, namespace: "shop", name: "default", body, fieldManager: "mtls-doctor", force: true }, SSA);
    expect(await updated).toMatchObject({ spec: { mtls: { mode: "DISABLE" } } });
    await informer.stop();
    expect(listedAt).toBeTruthy();
    expect(fake.requests.find((r) => r.verb === "watch")?.query.resourceVersion).toBe(listedAt);
  });

  test("close() ends open watches", async () => {
    const ended = new Promise<void>((resolve) => {
      void new k8s.Watch(kc).watch("/apis/security.istio.io/v1/peerauthentications", {}, () => undefined, () => resolve());
    });
    await new Promise((r) => setTimeout(r, 50));
    await fake.close();
    await ended;
  });

  test("pageSizeCap pages a list even when the client asked for more", async () => {
    fake.setOptions({ pageSizeCap: 2 });
    const first = await core.listNamespacedPod({ namespace: "shop", limit: 500 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?._continue).toBeTruthy();
    const unlimited = await core.listPodForAllNamespaces({});
    expect(unlimited.items).toHaveLength(2);
    expect(unlimited.metadata?.remainingItemCount).toBe(4);
  });

  test("a JSON patch (client-node's default patch type) is applied too", async () => {
    await core.patchNamespacedPod({ namespace: "shop", name: "web-2", body: [{ op: "replace", path: "/metadata/labels/version", value: "v9" }] });
    expect(fake.getObject("Pod", "shop", "web-2")?.metadata?.labels?.version).toBe("v9");
    const bad = apiError(await caught(core.patchNamespacedPod({ namespace: "shop", name: "web-2", body: [{ op: "test", path: "/metadata/name", value: "x" }] })));
    expect(bad.code).toBe(422);
  });

  test("returns fresh clones: changing what it returned changes nothing stored", async () => {
    const snapshot = fake.objects();
    const first = snapshot.pods[0];
    if (first?.metadata?.labels) first.metadata.labels.app = "mutated";
    expect(fake.objects().pods[0]?.metadata?.labels?.app).not.toBe("mutated");
    const listed = await core.listNamespacedPod({ namespace: "shop" });
    expect(listed.items.map((p) => p.metadata?.labels?.app)).not.toContain("mutated");
  });

  test("kubeconfigYaml is a kubeconfig file a KubeConfig can load", async () => {
    const loaded = new k8s.KubeConfig();
    loaded.loadFromString(fake.kubeconfigYaml());
    expect(loaded.getCurrentCluster()?.server).toBe(fake.url);
    expect(loaded.getContextObject(loaded.currentContext)?.namespace).toBe("default");
    const list = await loaded.makeApiClient(k8s.CoreV1Api).listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(["legacy", "shop"]);
  });
});

const HEALTHY_MESH = path.join(SHARED_DIR, "scenarios/09-healthy-mesh/snapshot");
const healthyMeshPresent = sharedAvailable("the fake-kube-api tests on the 09-healthy-mesh scenario") && existsSync(HEALTHY_MESH);

describe.skipIf(!healthyMeshPresent)("fake Kubernetes API server on the 09-healthy-mesh snapshot directory", () => {
  let fake: FakeKubeApi;

  beforeEach(async () => {
    fake = await startFakeKubeApi({ snapshot: HEALTHY_MESH });
  });

  afterEach(async () => {
    await fake.close();
  });

  test("serves the directory's objects, config dumps and logs", async () => {
    const kc = fake.kubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: "recs", labelSelector: "app=recommendations" });
    const name = "recommendations-qbmtpxv7p-qrp7h";
    expect(pods.items.map((p) => p.metadata?.name)).toContain(name);

    const policies = (await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ ...PA })) as { items: { metadata: { namespace: string } }[] };
    expect(policies.items.map((p) => p.metadata.namespace).sort()).toEqual(["istio-system", "recs"]);

    const dumpFile = path.join(HEALTHY_MESH, "proxies/recs", name, "config_dump.json");
    const result = await execIn(kc, "recs", name, ["pilot-agent", "request", "GET", "config_dump"]);
    expect(result.status.status).toBe("Success");
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(await readFile(dumpFile, "utf8")));

    const log = await core.readNamespacedPodLog({ namespace: "recs", name, container: "istio-proxy", tailLines: 1 });
    expect(log.trim().split("\n")).toHaveLength(1);
  });
});
