import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSnapshotDir, SnapshotError } from "../../src/cluster/load-snapshot-dir.js";

const made: string[] = [];

/** A fresh snapshot directory holding exactly these files (paths relative to it). */
async function snapshotDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mtls-snapshot-"));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The error loadSnapshotDir rejects with, checked to be a SnapshotError. */
async function loadError(dir: string): Promise<SnapshotError> {
  const error: unknown = await loadSnapshotDir(dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SnapshotError);
  return error as SnapshotError;
}

const names = (objects: readonly { metadata?: { name?: string } }[]) => objects.map((o) => o.metadata?.name);

describe("loadSnapshotDir: Kubernetes object files", () => {
  it("reads multi-document YAML, skipping empty documents", async () => {
    const dir = await snapshotDir({
      "shop.yaml": [
        "---",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled",
        "",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: inventory\n  namespace: shop\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080",
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: default\n  namespace: shop\nspec:\n  mtls:\n    mode: STRICT\n",
      ].join("\n---\n"),
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(snapshot.namespaces).toEqual([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { "istio-injection": "enabled" } } },
    ]);
    expect(snapshot.services[0]?.spec?.ports).toEqual([{ port: 80, targetPort: 8080 }]);
    expect(snapshot.peerAuthentications[0]?.spec?.mtls?.mode).toBe("STRICT");
  });

  it("reads .yml and .json files, in subdirectories too", async () => {
    const dir = await snapshotDir({
      "a/namespace.yml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n",
      "b/c/pod.json": JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "frontend-1", namespace: "web" } }),
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(names(snapshot.namespaces)).toEqual(["web"]);
    expect(names(snapshot.pods)).toEqual(["frontend-1"]);
  });

  it("unpacks a kubectl `List` (YAML and JSON) by the kind of each item", async () => {
    const list = {
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "legacy" } },
        { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "report", namespace: "legacy" } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio", namespace: "istio-system" }, data: { mesh: "trustDomain: cluster.local" } },
      ],
      metadata: { resourceVersion: "" },
    };
    const dir = await snapshotDir({
      "list.json": JSON.stringify(list),
      "list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n",
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(names(snapshot.namespaces).sort()).toEqual(["legacy", "shop"]);
    expect(snapshot.workloads.map((w) => `${w.kind} ${w.metadata?.name}`)).toEqual(["Deployment report"]);
    expect(snapshot.configMaps[0]?.data?.["mesh"]).toBe("trustDomain: cluster.local");
  });

  it("gives the items of a typed list (PodList) that lack `kind` the list's item kind", async () => {
    const dir = await snapshotDir({
      "pods.json": JSON.stringify({
        apiVersion: "v1",
        kind: "PodList",
        items: [{ metadata: { name: "inventory-1", namespace: "shop" } }, { metadata: { name: "inventory-2", namespace: "shop" } }],
      }),
      "policies.yaml": "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicyList\nitems:\n- metadata:\n    name: allow-web\n    namespace: shop\n  spec: {}\n",
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(snapshot.pods.map((p) => [p.kind, p.metadata?.name])).toEqual([
      ["Pod", "inventory-1"],
      ["Pod", "inventory-2"],
    ]);
    expect(snapshot.authorizationPolicies.map((p) => [p.kind, p.metadata?.name])).toEqual([["AuthorizationPolicy", "allow-web"]]);
  });

  it("ignores unknown kinds and files that are not YAML or JSON", async () => {
    const dir = await snapshotDir({
      "gateway.yaml": "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: ingress\n  namespace: shop\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
      "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: shop\n",
      "README.md": "kind: Namespace\n: not yaml at all {\n",
      "notes.txt": "{ not json",
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(names(snapshot.namespaces)).toEqual(["shop"]);
    const kept = Object.entries(snapshot).filter(([, v]) => Array.isArray(v) && v.length > 0).map(([k]) => k);
    expect(kept).toEqual(["namespaces"]);
  });

  it.skipIf(process.platform === "win32")("reads a YAML file that is a symbolic link, like any other file", async () => {
    const captured = await snapshotDir({ "namespaces.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" });
    const dir = await snapshotDir({});
    await symlink(path.join(captured, "namespaces.yaml"), path.join(dir, "namespaces.yaml"));
    expect(names((await loadSnapshotDir(dir)).namespaces)).toEqual(["shop"]);
  });

  it("reads an empty directory as an empty snapshot", async () => {
    const snapshot = await loadSnapshotDir(await snapshotDir({}));
    expect(snapshot.pods).toEqual([]);
    expect(snapshot.proxies.size).toBe(0);
    expect(snapshot.proxyStatus).toBeUndefined();
  });
});

describe("loadSnapshotDir: proxies/ and proxy-status", () => {
  it("reads proxies/<ns>/<pod>/config_dump.json and istio-proxy.log under the key ns/pod", async () => {
    const dump = { configs: [{ "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump" }] };
    const dir = await snapshotDir({
      "proxies/shop/inventory-1/config_dump.json": JSON.stringify(dump),
      "proxies/shop/inventory-1/istio-proxy.log": "line one\nTLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED\n",
      "proxies/web/frontend-1/istio-proxy.log": "only a log\n",
    });
    const snapshot = await loadSnapshotDir(dir);
    expect([...snapshot.proxies.keys()].sort()).toEqual(["shop/inventory-1", "web/frontend-1"]);
    expect(snapshot.proxies.get("shop/inventory-1")?.configDump).toEqual(dump);
    expect(snapshot.proxies.get("shop/inventory-1")?.log).toContain("CERTIFICATE_VERIFY_FAILED");
    expect(snapshot.proxies.get("web/frontend-1")).toEqual({ log: "only a log\n" });
  });

  it("does not read files under proxies/ as Kubernetes objects", async () => {
    const dir = await snapshotDir({
      "proxies/shop/inventory-1/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: stray\n  namespace: shop\n",
      "proxies/shop/inventory-1/extra.json": "{ not json",
    });
    const snapshot = await loadSnapshotDir(dir);
    expect(snapshot.pods).toEqual([]);
    expect(snapshot.proxies.size).toBe(0);
  });

  it("reads proxy-status.txt at the top", async () => {
    const table = [
      "NAME                               CLUSTER        CDS                LDS                EDS                RDS                ECDS        ISTIOD                      VERSION",
      "inventory-1.shop                   Kubernetes     SYNCED (3m40s)     SYNCED (3m40s)     SYNCED (3m40s)     STALE (3m40s)      IGNORED     istiod-wbg5f2z9rf-vt7st     1.26.4",
    ].join("\n");
    const snapshot = await loadSnapshotDir(await snapshotDir({ "proxy-status.txt": table }));
    expect(snapshot.proxyStatus).toHaveLength(1);
    expect(snapshot.proxyStatus?.[0]).toMatchObject({ pod: "shop/inventory-1", types: { CDS: "SYNCED", RDS: "STALE" } });
  });

  it("does not take a proxy-status.txt below the top for proxy status", async () => {
    const table = "NAME  CLUSTER  CDS  LDS  EDS  RDS  ECDS  ISTIOD  VERSION\ninventory-1.shop  Kubernetes  SYNCED  SYNCED  SYNCED  SYNCED  IGNORED  istiod-1  1.26.4\n";
    const snapshot = await loadSnapshotDir(await snapshotDir({ "old/proxy-status.txt": table }));
    expect(snapshot.proxyStatus).toBeUndefined();
  });
});

describe("loadSnapshotDir: files that do not parse", () => {
  it("a YAML syntax error is a SnapshotError naming the file and the line", async () => {
    const dir = await snapshotDir({
      "good.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
      "workloads.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n labels: {}\n",
    });
    const error = await loadError(dir);
    expect(error.file).toBe(path.join(dir, "workloads.yaml"));
    expect(error.line).toBe(5);
    expect(error.message).toContain(`${path.join(dir, "workloads.yaml")}:5`);
  });

  it("a YAML error in a later document still names the right line", async () => {
    const text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n\tlabels: {}\n";
    const error = await loadError(await snapshotDir({ "ns.yaml": text }));
    expect(error.message).toMatch(/ns\.yaml:10\b/);
  });

  it("invalid JSON is a SnapshotError naming the file and the line (trailing comma)", async () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": {"name": "shop"},\n}\n';
    const error = await loadError(await snapshotDir({ "ns.json": text }));
    expect(error.message).toContain("ns.json");
    expect(error.line).toBe(5);
    expect(error.message).toMatch(/ns\.json:5\b/);
  });

  it("invalid JSON is a SnapshotError naming the file and the line (a value missing)", async () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": }\n';
    const error = await loadError(await snapshotDir({ "ns.json": text }));
    expect(error.message).toContain("ns.json");
    expect(error.line).toBe(4);
  });

  it("truncated JSON is a SnapshotError naming the file and its last line", async () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata":';
    const error = await loadError(await snapshotDir({ "ns.json": text }));
    expect(error.message).toContain("ns.json");
    expect(error.line).toBe(4);
  });

  it("an invalid config_dump.json is a SnapshotError naming that file", async () => {
    const dir = await snapshotDir({ "proxies/shop/inventory-1/config_dump.json": '{"configs": [\n{"@type": 1},\n' });
    const error = await loadError(dir);
    expect(error.message).toContain(path.join("proxies", "shop", "inventory-1", "config_dump.json"));
  });

  it("a proxy-status.txt that is not proxy-status output is a SnapshotError naming the file", async () => {
    const error = await loadError(await snapshotDir({ "proxy-status.txt": "error: could not connect to istiod\n" }));
    expect(error.message).toContain("proxy-status.txt");
  });

  it("refuses a YAML alias bomb quickly instead of expanding it", async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const labels = "abcdefghij";
    for (let i = 1; i < labels.length; i++) {
      const prev = labels[i - 1] ?? "a";
      lines.push(`${labels[i]}: &${labels[i]} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const dir = await snapshotDir({ "bomb.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n  namespace: shop\ndata:\n  ${lines.join("\n  ")}\n` });
    const started = performance.now();
    const error = await loadError(dir);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain("bomb.yaml");
  });

  it("a missing directory is a SnapshotError that names it", async () => {
    const missing = path.join(os.tmpdir(), `mtls-no-such-snapshot-${process.pid}-${Date.now()}`);
    const error = await loadError(missing);
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/does not exist|not a directory/);
  });

  it("a file given as the directory is a SnapshotError", async () => {
    const dir = await snapshotDir({ "ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n" });
    const error = await loadError(path.join(dir, "ns.yaml"));
    expect(error.message).toContain("ns.yaml");
  });
});
