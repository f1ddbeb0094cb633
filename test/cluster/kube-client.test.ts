import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  contextNamespace,
  KubeApiError,
  KubeClient,
  KubeConfigError,
  kubeConfigOrigin,
  loadKubeConfig,
  Semaphore,
} from "../../src/cluster/kube-client.js";
import { emptySnapshot } from "../../src/cluster/snapshot.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";

const TWO_CONTEXTS = `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: { server: "https://prod.example:6443", insecure-skip-tls-verify: true }
- name: dev
  cluster: { server: "https://dev.example:6443", insecure-skip-tls-verify: true }
users:
- name: me
  user: { token: abc }
contexts:
- name: prod
  context: { cluster: prod, user: me, namespace: shop }
- name: dev
  context: { cluster: dev, user: me }
current-context: prod
`;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "kube-client-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("loading the kubeconfig", () => {
  test("a file and its current context; the context's namespace is the default for targets", async () => {
    const file = path.join(scratch, "two.yaml");
    await writeFile(file, TWO_CONTEXTS);
    const kc = loadKubeConfig({ kubeconfig: file }, {});
    expect(kc.getCurrentCluster()?.server).toBe("https://prod.example:6443");
    expect(contextNamespace(kc)).toBe("shop");
  });

  test("another context of the file; without a namespace the default is `default`", async () => {
    const file = path.join(scratch, "two.yaml");
    await writeFile(file, TWO_CONTEXTS);
    const kc = loadKubeConfig({ kubeconfig: file, context: "dev" }, {});
    expect(kc.getCurrentCluster()?.server).toBe("https://dev.example:6443");
    expect(contextNamespace(kc)).toBe("default");
  });

  test("an unknown context names the file and the contexts there are", async () => {
    const file = path.join(scratch, "two.yaml");
    await writeFile(file, TWO_CONTEXTS);
    expect(() => loadKubeConfig({ kubeconfig: file, context: "staging" }, {})).toThrow(
      new KubeConfigError(`context "staging" is not in kubeconfig ${file}: use one of prod, dev`),
    );
  });

  test("a missing file is named", () => {
    const file = path.join(scratch, "nope.yaml");
    expect(() => loadKubeConfig({ kubeconfig: file }, {})).toThrow(`kubeconfig ${file} (--kubeconfig) does not exist: check the path`);
  });

  test("a file that does not parse is named", async () => {
    const file = path.join(scratch, "broken.yaml");
    await writeFile(file, "clusters: [unclosed\n");
    expect(() => loadKubeConfig({ kubeconfig: file }, {})).toThrow(new RegExp(`^kubeconfig ${file} \\(--kubeconfig\\) cannot be read: `));
  });

  test("KUBECONFIG with several files merges them, the first one's current context winning", async () => {
    const a = path.join(scratch, "a.yaml");
    const b = path.join(scratch, "b.yaml");
    await writeFile(a, TWO_CONTEXTS);
    await writeFile(
      b,
      "apiVersion: v1\nkind: Config\nclusters: [{name: qa, cluster: {server: 'https://qa.example'}}]\nusers: [{name: qa, user: {token: x}}]\ncontexts: [{name: qa, context: {cluster: qa, user: qa}}]\ncurrent-context: qa\n",
    );
    const kc = loadKubeConfig({}, { KUBECONFIG: [a, b].join(path.delimiter) });
    expect(kc.getCurrentContext()).toBe("prod");
    expect(kc.getContexts().map((c) => c.name)).toEqual(["prod", "dev", "qa"]);
    expect(loadKubeConfig({ context: "qa" }, { KUBECONFIG: [a, b].join(path.delimiter) }).getCurrentCluster()?.server).toBe("https://qa.example");
  });

  test("remembers the file and context, so that istioctl reads the same cluster", async () => {
    const file = path.join(scratch, "two.yaml");
    await writeFile(file, TWO_CONTEXTS);
    expect(kubeConfigOrigin(loadKubeConfig({ kubeconfig: file, context: "dev" }, {}))).toEqual({ kubeconfig: file, context: "dev" });
    expect(kubeConfigOrigin(loadKubeConfig({}, { KUBECONFIG: file }))).toEqual({ context: "prod" });
    expect(kubeConfigOrigin(new KubeConfig())).toEqual({});
  });

  test("no configuration at all says what to set (never a silent localhost:8080)", () => {
    expect(() => loadKubeConfig({}, { HOME: path.join(scratch, "empty-home") })).toThrow(
      /^no Kubernetes credentials found: pass --kubeconfig FILE, set KUBECONFIG, create ~\/\.kube\/config, or run mtls-doctor in a pod/,
    );
  });

  test("~/.kube/config when nothing else is given", async () => {
    const home = path.join(scratch, "home");
    await mkdir(path.join(home, ".kube"), { recursive: true });
    await writeFile(path.join(home, ".kube", "config"), TWO_CONTEXTS);
    expect(loadKubeConfig({}, { HOME: home }).getCurrentContext()).toBe("prod");
  });
});

describe("talking to the API server", () => {
  let fake: FakeKubeApi | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  test("a 403 says what was refused and what to grant", async () => {
    fake = await startFakeKubeApi({ snapshot: emptySnapshot(), forbid: [{ resource: "pods" }] });
    const client = new KubeClient(fake.kubeConfig());
    const error = await client
      .getJson("/api/v1/namespaces/prod/pods", {}, { verb: "list", resource: "pods", namespace: "prod" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ failure: "forbidden", status: 403 });
    expect((error as Error).message).toBe(
      'cannot list pods in namespace prod: forbidden (grant the mtls-doctor ServiceAccount, or your user, "list" on pods in namespace prod)',
    );
  });

  test("a server that is not there: the reason names the server", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "gone", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "gone", cluster: "gone", user: "u" }],
      currentContext: "gone",
    });
    const error = await new KubeClient(kc).getJson("/api/v1/namespaces", {}, { verb: "list", resource: "namespaces" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "network" });
    expect((error as Error).message).toMatch(
      new RegExp(`^cannot list namespaces: .*ECONNREFUSED.* \\(check that the API server at http://127\\.0\\.0\\.1:${port} is reachable\\)$`),
    );
  });

  test("requests in flight are bounded", async () => {
    const limit = new Semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limit.run(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 2));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
