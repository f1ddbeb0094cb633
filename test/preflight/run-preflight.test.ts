// Preflight against the fakes at the network edge: the fake Kubernetes API server answers the
// SelfSubjectAccessReviews from its forbid rules, the fake Slack sends the token's scopes in
// x-oauth-scopes, and Redis is a real redis-server.
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createIstioctlRunner } from "../../src/cluster/istioctl.js";
import type { KubeObject } from "../../src/cluster/kube-types.js";
import { loadConfig } from "../../src/config.js";
import { isBlocking, type PreflightItem, type PreflightReport } from "../../src/preflight/preflight-item.js";
import { renderPreflightText } from "../../src/preflight/render-preflight.js";
import { runPreflight, type PreflightDeps } from "../../src/preflight/run-preflight.js";
import { startFakeKubeApi, type FakeKubeApi } from "../support/fake-kube-api.js";
import { fakeIstioctlEnv, prepareFakeIstioctlBin, type FakeIstioctlBin } from "../support/fake-istioctl.js";
import { MANIFEST_SCOPES, startFakeSlack, type FakeSlack } from "../support/fake-slack.js";
import { startTestRedis, type TestRedis } from "../support/redis-server.js";

const BOT_TOKEN = "xoxb-preflight-test-0123456789";
let kube: FakeKubeApi;
let slack: FakeSlack;
let redisServer: TestRedis;
let redis: Redis;
let istioctlBin: FakeIstioctlBin;

beforeAll(async () => {
  [kube, slack, redisServer, istioctlBin] = await Promise.all([
    startFakeKubeApi({ snapshot: path.resolve("examples/demo") }),
    startFakeSlack(),
    startTestRedis(),
    prepareFakeIstioctlBin(),
  ]);
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 200 });
  redis.on("error", () => undefined);
  const istiod: KubeObject & Record<string, unknown> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "istiod", namespace: "istio-system", labels: { app: "istiod" } },
    spec: { selector: { matchLabels: { app: "istiod" } }, template: { metadata: { labels: { app: "istiod" } }, spec: { containers: [{ name: "discovery", image: "istio/pilot" }] } } },
    status: { availableReplicas: 1, conditions: [{ type: "Available", status: "True" }] },
  };
  kube.putObject(istiod);
});
afterAll(async () => {
  redis.disconnect();
  await Promise.all([kube.close(), slack.close(), redisServer.close(), istioctlBin.cleanup()]);
});
afterEach(() => {
  kube.setOptions({ forbid: [], fail: [] });
  slack.setScopes(MANIFEST_SCOPES);
  slack.reset();
});

function deps(env: Record<string, string> = {}, extra: Partial<PreflightDeps> = {}): PreflightDeps {
  const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.apiUrl, CLUSTER_NAME: "prod", REDIS_URL: redisServer.url, ...env }, "worker");
  return { config, kubeConfig: kube.kubeConfig(), redis: { client: redis, where: redisServer.url }, istioctl: null, istioctlMissingReason: "istioctl is not on PATH", timeoutMs: 3_000, ...extra };
}

function item(report: PreflightReport, name: string): PreflightItem {
  const found = report.items.find((i) => i.name === name);
  if (!found) throw new Error(`no item "${name}" in ${report.items.map((i) => i.name).join(" | ")}`);
  return found;
}

describe("preflight", () => {
  test("a correctly installed worker is ready: token and scopes, every permission, Istio's APIs, istiod, Redis", async () => {
    const report = await runPreflight(deps());
    expect(report.items.filter(isBlocking)).toEqual([]);
    expect(report.ready).toBe(true);
    expect(item(report, "bot token").detail).toMatch(/works for workspace fake as U0BOT/);
    for (const scope of MANIFEST_SCOPES) expect(item(report, `scope ${scope}`).status).toBe("ok");
    expect(item(report, "get,list pods").status).toBe("ok");
    expect(item(report, "get,create pods/exec").status).toBe("ok");
    expect(item(report, "get,list configmaps (istio-system)").status).toBe("ok");
    expect(item(report, "security.istio.io API").detail).toBe("serves v1, v1beta1 (preferred v1); mtls-doctor reads v1");
    expect(item(report, "mesh flavour").detail).toMatch(/^in-cluster istiod in istio-system \(istiod; revisions: default\)$/);
    expect(item(report, "redis")).toMatchObject({ status: "ok", required: true });
    // No istioctl: optional, and says how to get it.
    expect(item(report, "istioctl")).toMatchObject({ status: "missing", required: false });
    // FIXES_ENABLED defaults to true: the fixes role's writes are reviewed too.
    expect(item(report, "create events").status).toBe("ok");
    const reviews = kube.requests.filter((r) => r.resource === "selfsubjectaccessreviews");
    expect(reviews.length).toBeGreaterThan(20);
    expect(reviews.every((r) => r.method === "POST" && r.status === 201)).toBe(true);
  });

  test("a token without files:write names the scope, what stops working and to reinstall the app; not ready", async () => {
    slack.setScopes(MANIFEST_SCOPES.filter((s) => s !== "files:write"));
    const report = await runPreflight(deps());
    expect(report.ready).toBe(false);
    expect(item(report, "scope files:write")).toMatchObject({ status: "missing", required: true, detail: "not granted to the bot token" });
    expect(item(report, "scope files:write").impact).toMatch(/fix YAML .* not uploaded/);
    expect(item(report, "scope files:write").enable).toMatch(/bot scope files:write: .*reinstall the app/);
    expect(report.items.filter(isBlocking).map((i) => i.name)).toEqual(["scope files:write"]);
  });

  test("usergroups:read is optional without approver groups and required with them", async () => {
    slack.setScopes(MANIFEST_SCOPES.filter((s) => s !== "usergroups:read"));
    const without = await runPreflight(deps());
    expect(without.ready).toBe(true);
    expect(item(without, "scope usergroups:read")).toMatchObject({ status: "missing", required: false });
    const withGroups = await runPreflight(deps({ APPROVER_USERGROUP_IDS: "S0APPROVERS" }));
    expect(withGroups.ready).toBe(false);
    expect(item(withGroups, "scope usergroups:read").required).toBe(true);
  });

  test("a token Slack refuses is one required item that says where the right token is", async () => {
    slack.failNext("auth.test", { error: "invalid_auth" });
    const report = await runPreflight(deps());
    expect(report.ready).toBe(false);
    expect(report.items.filter((i) => i.area === "slack")).toEqual([
      expect.objectContaining({ name: "bot token", status: "missing", detail: "Slack refused the bot token (invalid_auth)" }),
    ]);
    expect(JSON.stringify(report)).not.toContain(BOT_TOKEN);
  });

  test("a ServiceAccount without exec: optional, the proxy checks are skipped, and the Helm value that grants it", async () => {
    kube.setOptions({ forbid: [{ verb: "exec" }] });
    const report = await runPreflight(deps());
    expect(report.ready).toBe(true);
    const exec = item(report, "get,create pods/exec");
    expect(exec).toMatchObject({ status: "missing", required: false, detail: "denied: get, create pods/exec in every namespace" });
    expect(exec.impact).toMatch(/Envoy config dumps are not read/);
    expect(exec.enable).toMatch(/^Helm value proxyInspection\.exec=true \(the chart then grants it\), or add - \{ apiGroups: \[""\], resources: \["pods\/exec"\], verbs: \["get", "create"\] \} in a ClusterRole/);
    expect(item(report, "get,list pods").status).toBe("ok");
  });

  test("a ServiceAccount that cannot list pods is not ready, and the rule to add names the verb", async () => {
    kube.setOptions({ forbid: [{ verb: "list", resource: "pods" }] });
    const report = await runPreflight(deps());
    expect(report.ready).toBe(false);
    const pods = item(report, "get,list pods");
    expect(pods).toMatchObject({ status: "missing", required: true, detail: "denied: list pods in every namespace" });
    expect(pods.enable).toContain(`- { apiGroups: [""], resources: ["pods"], verbs: ["list"] } in a ClusterRole bound to the worker's ServiceAccount`);
    expect(pods.impact).toMatch(/checks skipped: .*proxy-readiness/);
  });

  test("with FIXES_ENABLED the fixes role's writes are reviewed too; a missing one is required", async () => {
    kube.setOptions({ forbid: [{ verb: "delete", resource: "destinationrules.networking.istio.io" }] });
    const report = await runPreflight(deps({ FIXES_ENABLED: "true" }));
    const writes = item(report, "get,list,create,patch,update,delete destinationrules.networking.istio.io");
    expect(writes).toMatchObject({ status: "missing", required: true, detail: "denied: delete destinationrules.networking.istio.io in every namespace" });
    expect(writes.enable).toMatch(/^Helm value fixes\.enabled=true/);
    expect(report.ready).toBe(false);
  });

  test("FIXES_ENABLED=false asks about no write at all", async () => {
    kube.resetRequests();
    const report = await runPreflight(deps({ FIXES_ENABLED: "false" }));
    const verbs = kube.requests.filter((r) => r.resource === "selfsubjectaccessreviews").map((r) => (r.body as { spec: { resourceAttributes: { verb: string } } }).spec.resourceAttributes.verb);
    expect(new Set(verbs)).toEqual(new Set(["get", "list", "create"]));
    expect(report.ready).toBe(true);
  });

  test("Redis down: required, and says which settings point at it", async () => {
    await redisServer.stop();
    try {
      const report = await runPreflight(deps());
      expect(report.ready).toBe(false);
      expect(item(report, "redis")).toMatchObject({ status: "unknown", required: true });
      expect(item(report, "redis").enable).toMatch(/REDIS_URL/);
    } finally {
      await redisServer.start();
    }
  });

  test("no Redis configured: skipped, not required", async () => {
    const report = await runPreflight(deps({}, { redis: undefined }));
    expect(item(report, "redis")).toMatchObject({ status: "skipped", required: false });
  });

  test("istioctl on PATH: its client version, asked without contacting the control plane", async () => {
    const runner = createIstioctlRunner({ binary: istioctlBin.istioctl, env: { ...process.env, ...fakeIstioctlEnv({ version: "1.27.1" }) } });
    const report = await runPreflight(deps({}, { istioctl: runner }));
    expect(item(report, "istioctl")).toMatchObject({ status: "ok", detail: `${istioctlBin.istioctl}, client version 1.27.1` });
  });

  test("managed Cloud Service Mesh is recognised by its managed ConfigMap", async () => {
    kube.putObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio-asm-managed", namespace: "istio-system" } });
    try {
      const report = await runPreflight(deps());
      expect(item(report, "mesh flavour").detail).toMatch(/managed Cloud Service Mesh \(ConfigMap istio-asm-managed\)/);
    } finally {
      kube.deleteObject("ConfigMap", "istio-system", "istio-asm-managed");
    }
  });

  test("an API server that is not there is one required item, not thirty", async () => {
    const gone = await startFakeKubeApi({ snapshot: path.resolve("examples/demo") });
    const kubeConfig = gone.kubeConfig();
    await gone.close();
    const report = await runPreflight(deps({}, { kubeConfig }));
    expect(report.items.filter((i) => i.area === "kubernetes")).toEqual([expect.objectContaining({ name: "API server", status: "unknown", required: true })]);
    expect(report.ready).toBe(false);
  });

  test("the text report groups by area and shows what to do only for what does not work", async () => {
    kube.setOptions({ forbid: [{ verb: "exec" }] });
    const text = renderPreflightText(await runPreflight(deps()));
    expect(text).toMatch(/^mtls-doctor preflight, cluster prod: ready: everything required works, 2 optional items missing/);
    expect(text).toMatch(/\[optional: missing\] +get,create pods\/exec: denied/);
    expect(text).toMatch(/to enable: Helm value proxyInspection\.exec=true/);
    expect(text).toMatch(/\[ok\] +get,list pods: allowed in every namespace\n(?! +without it)/);
    expect(text).not.toContain(BOT_TOKEN);
  });
});
